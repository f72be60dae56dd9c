"""The mail settings form: which kinds of e-mail a person wants."""

from __future__ import annotations

from django import forms

from submissions.notifications.models import MUTABLE_KINDS


class NotificationSettingsForm(forms.Form):
    wanted = forms.MultipleChoiceField(
        label="E-mail me when",
        required=False,
        choices=[(kind.value, kind.label) for kind in MUTABLE_KINDS],
        widget=forms.CheckboxSelectMultiple,
    )

    def muted(self) -> list[str]:
        wanted = set(self.cleaned_data.get("wanted") or [])
        return [kind.value for kind in MUTABLE_KINDS if kind not in wanted]
