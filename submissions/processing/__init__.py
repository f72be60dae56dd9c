"""Processing: inspecting each verified upload, and after approval converting every image to
OME-Zarr in the conversion queue, with the sweeper that heals stuck work.
"""
