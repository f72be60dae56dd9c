"""Shared by every domain and owned by none: errors, the API's error answers, storage and
its keys, enqueueing background work (dispatch), health, units.
"""
