"""Publication: writing a converted dataset to the archive under its accession, and the
public pages that read it (landing page, catalogue, metadata, objects).
"""
