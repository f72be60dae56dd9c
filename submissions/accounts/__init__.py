"""Accounts and facilities: people, facilities, labs, memberships and roles, invitations,
the facility audit trail, and who may do what (permissions).
"""
