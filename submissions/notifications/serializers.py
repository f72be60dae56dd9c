"""Serializers of the mail settings API."""

from __future__ import annotations

from rest_framework import serializers

from submissions.notifications.models import MUTABLE_KINDS


class PreferencesSerializer(serializers.Serializer[None]):
    muted = serializers.ListField(
        child=serializers.ChoiceField(choices=[(k.value, k.label) for k in MUTABLE_KINDS]),
        help_text="The kinds of e-mail not to send to you.",
    )
