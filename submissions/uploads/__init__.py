"""Uploads: one resumable, checksummed protocol for the browser, the CLI and the API; whole-
file verification and fixity receipts; the files page.
"""
