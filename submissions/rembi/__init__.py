"""REMBI metadata: the description as data, its validation, editor, display, JSON Schema,
exports (REMBI JSON, PageTab, File Lists) and the vocabularies shipped with Aperture.
"""
