"""Submissions and their lifecycle: drafts, the one function that changes a status, the
timeline, accessions, the dashboard and a submission's pages.
"""
