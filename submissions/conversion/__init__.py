"""Image conversion for Aperture: inspection, OME-Zarr conversion, validation, thumbnails.

Pure Python (no Django) so that every piece can run inside a child process with its own
time and memory limits. The worker calls :func:`submissions.conversion.runner.convert_file`.
"""
