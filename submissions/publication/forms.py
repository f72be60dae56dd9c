"""A curator's forms on a published dataset: each action needs a reason, kept on the timeline."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from submissions.publication.services.release import MAX_REASON

REASON_HELP = "Shown on the dataset's timeline; a withdrawal's reason is shown on its page."


class _ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )


class ReleaseEarlyForm(_ReasonForm):
    prefix = "release"


class ExtendEmbargoForm(_ReasonForm):
    prefix = "extend"
    until = forms.DateField(
        label="New release date", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_until(self) -> dt.date:
        until: dt.date = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError("Choose a day after today.")
        return until


class WithdrawForm(_ReasonForm):
    prefix = "withdraw"
    confirm = forms.BooleanField(
        label="I understand: the files will no longer be served, and the page, DOI and OAI-PMH "
        "record will say the dataset was withdrawn.",
    )
