"""Quotas: the storage ledger (reserve, settle, release), limits and the admission check,
increase requests, usage history, the facility dashboard and charge-back.
"""
