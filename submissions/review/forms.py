"""HTML forms of review. They parse; the services in submissions.review.services decide."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.forms import formset_factory

from submissions.accounts.models import User
from submissions.core.errors import ValidationFailed
from submissions.review.selectors import AGES, QUEUE_STATES, SORTS, QueueFilters
from submissions.review.services import MAX_MESSAGE, ChangePoint
from submissions.uploads.models import DataFile

PAGE_SIZES = (25, 50, 100)


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    state = forms.ChoiceField(
        required=False,
        choices=[("waiting", "Waiting for review"), ("all", "All states")]
        + [(s.value, s.label) for s in QUEUE_STATES],
    )
    submitter = forms.CharField(label="Submitter (e-mail)", required=False, max_length=254)
    age = forms.ChoiceField(
        label="Waiting",
        required=False,
        choices=[("", "Any time")] + [(k, v[0]) for k, v in AGES.items()],
    )
    assignee = forms.ChoiceField(label="Assignee", required=False)
    has_failures = forms.ChoiceField(
        label="File failures",
        required=False,
        choices=[("", "Any"), ("yes", "Has failed files"), ("no", "No failed files")],
    )
    sort = forms.ChoiceField(
        label="Sort by", required=False, choices=[(k, v[0]) for k, v in SORTS.items()]
    )
    per_page = forms.TypedChoiceField(
        label="Per page", required=False, coerce=int, choices=[(n, n) for n in PAGE_SIZES]
    )

    def __init__(self, *args: Any, curators: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "assignee").choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Nobody"),
        ] + [(str(c.pk), c.display_name) for c in curators]

    def filters(self) -> tuple[QueueFilters, int]:
        """The filters that parsed; a value that did not is ignored, never an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        has_failures = {"yes": True, "no": False}.get(data.get("has_failures") or "")
        return (
            QueueFilters(
                state=data.get("state") or "waiting",
                submitter=(data.get("submitter") or "").strip(),
                age=data.get("age") or "",
                assignee=data.get("assignee") or "",
                has_failures=has_failures,
                q=(data.get("q") or "").strip(),
                sort=data.get("sort") or "oldest",
            ),
            data.get("per_page") or 50,
        )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note to the researcher (optional)",
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why it is rejected."},
    )


class ChangeRequestForm(forms.Form):
    message = forms.CharField(
        label="Message to the researcher",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Tell the researcher what to change."},
    )


class PointForm(forms.Form):
    field = forms.CharField(label="Field", required=False, max_length=300)
    file = forms.ChoiceField(label="File", required=False)
    message = forms.CharField(label="What should change", required=False, max_length=MAX_MESSAGE)

    def __init__(self, *args: Any, files: list[DataFile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "file").choices = [("", "—")] + [(str(f.pk), f.name) for f in files]


PointFormSet = formset_factory(PointForm, extra=3, max_num=100, absolute_max=100)


def change_points(formset: Any) -> list[ChangePoint]:
    """The filled rows of the points formset, in order; empty rows are skipped."""
    points = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", {})
        if data.get("field") or data.get("file") or data.get("message"):
            points.append(
                ChangePoint(
                    message=data.get("message", ""),
                    field_path=data.get("field", ""),
                    file_id=data.get("file") or None,
                )
            )
    return points


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a comment."},
    )
    field = forms.CharField(label="About field (optional)", required=False, max_length=300)
    file = forms.ChoiceField(label="About file (optional)", required=False)

    def __init__(self, *args: Any, files: list[DataFile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "file").choices = [("", "—")] + [(str(f.pk), f.name) for f in files]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assign to", required=False)

    def __init__(self, *args: Any, curators: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "assignee").choices = [("", "Nobody")] + [
            (str(c.pk), c.display_name) for c in curators
        ]


class FixFieldsForm(forms.Form):
    """One input per field a curator asked to change, filled with its current value.

    Text stays text; a value that was a list or an object is edited as JSON.
    """

    def __init__(self, *args: Any, values: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.json_paths = set()
        for path, value in values.items():
            if isinstance(value, dict | list | int | float | bool):
                self.json_paths.add(path)
                initial = json.dumps(value, ensure_ascii=False)
            else:
                initial = value or ""
            self.fields[path] = forms.CharField(
                label=path, required=False, initial=initial, max_length=MAX_MESSAGE
            )

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for path, value in self.cleaned_data.items():
            if path in self.json_paths:
                try:
                    changes[path] = json.loads(value) if value else None
                except ValueError:
                    self.add_error(path, 'This value must be JSON, e.g. ["a", "b"].')
            else:
                changes[path] = value
        if self.errors:
            raise ValidationFailed(fields={k: [str(e) for e in v] for k, v in self.errors.items()})
        return changes


def apply_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Show a service's field errors at the form's fields (others at the top)."""
    for name, problems in (error.fields or {"": [error.message]}).items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
