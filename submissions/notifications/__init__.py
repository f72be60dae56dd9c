"""Notifications: the one mail service (templates, mute settings, each message once) and who
is told of what.
"""
