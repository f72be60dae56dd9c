"""Machine-readable forms of a published dataset, each rendered from one `DatasetRecord`."""
