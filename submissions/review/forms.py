"""HTML forms of review. They parse; the services in submissions.review.services decide."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.forms import formset_factory

from submissions.accounts.models import User
from submissions.core.errors import ValidationFailed
from submissions.rembi.services.fields import SEPARATOR, FieldRef
from submissions.review.image_points import MAX_SCREENSHOT_BYTES
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


NOT_A_FIELD = "Choose one of this submission's fields from the list."
NOT_A_FILE = "Choose one of this submission's files from the list."


def field_choices(fields: list[FieldRef]) -> list[Any]:
    """The submission's own fields for a select, grouped by REMBI section: a curator picks
    "Author 1 (Ada Lovelace) > ORCID iD" under "Study" and never types a path."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for ref in fields:
        inner = ref.label.split(SEPARATOR, 1)
        shown = inner[1] if len(inner) == 2 else f"{ref.section} (the whole section)"
        groups.setdefault(ref.section, []).append((ref.path, shown))
    return [("", "—"), *groups.items()]


def _field_select(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, required=False, error_messages={"invalid_choice": NOT_A_FIELD}
    )


def _file_select(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, required=False, error_messages={"invalid_choice": NOT_A_FILE}
    )


class PointForm(forms.Form):
    field = _field_select("Field")
    file = _file_select("or file")
    message = forms.CharField(label="What should change", required=False, max_length=MAX_MESSAGE)
    # Filled by the viewer's "Request a change about this image": what was shown (JSON) and
    # a screenshot of it (PNG). The service checks both.
    image_view = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20_000)
    screenshot = forms.FileField(required=False, label="Screenshot")

    def __init__(
        self, *args: Any, data_files: list[DataFile], fields: list[FieldRef], **kwargs: Any
    ) -> None:
        # `data_files`, not `files`: a formset passes the request's uploads as `files`.
        super().__init__(*args, **kwargs)
        _choice(self, "file").choices = [("", "—")] + [(str(f.pk), f.name) for f in data_files]
        _choice(self, "field").choices = field_choices(fields)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("field") or data.get("file")) and not (data.get("message") or "").strip():
            self.add_error("message", "Say what should change.")
        return data


PointFormSet = formset_factory(PointForm, extra=3, max_num=100, absolute_max=100)


def change_points(formset: Any) -> list[ChangePoint]:
    """The filled rows of the points formset, in order; empty rows are skipped."""
    points = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", {})
        if data.get("field") or data.get("file") or data.get("message"):
            upload = data.get("screenshot")
            points.append(
                ChangePoint(
                    message=data.get("message", ""),
                    field_path=data.get("field", ""),
                    file_id=data.get("file") or None,
                    image_view=_json_or_raw(data.get("image_view") or ""),
                    # One byte over the limit is enough for the service to refuse it.
                    screenshot=upload.read(MAX_SCREENSHOT_BYTES + 1) if upload else None,
                )
            )
    return points


def _json_or_raw(text: str) -> Any:
    """The view the viewer sent, parsed; what does not parse goes on as text, and the service
    refuses it with a message."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a comment."},
    )
    field = _field_select("About field (optional)")
    file = _file_select("About file (optional)")

    def __init__(
        self, *args: Any, files: list[DataFile], fields: list[FieldRef], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "file").choices = [("", "—")] + [(str(f.pk), f.name) for f in files]
        _choice(self, "field").choices = field_choices(fields)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(
        label="Assign to",
        required=False,
        error_messages={"invalid_choice": "Choose one of this facility's curators."},
    )

    def __init__(self, *args: Any, curators: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "assignee").choices = [("", "Nobody")] + [
            (str(c.pk), c.display_name) for c in curators
        ]


def apply_point_errors(form: forms.Form, formset: Any, error: ValidationFailed) -> None:
    """A service's errors about points ("points.2.field") at their rows, the rest on `form`.

    Rows are numbered as the service saw them: the filled rows, in order."""
    filled = [
        row
        for row in formset.forms
        if any(getattr(row, "cleaned_data", {}).get(k) for k in ("field", "file", "message"))
    ]
    rest: dict[str, list[str]] = {}
    for name, problems in (error.fields or {"": [error.message]}).items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "points" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(filled) and parts[2] in filled[index].fields:
                for problem in problems:
                    filled[index].add_error(parts[2], problem)
                continue
        rest[name] = problems
    if rest:
        apply_errors(form, ValidationFailed(error.message, fields=rest))


def apply_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Show a service's field errors at the form's fields (others at the top)."""
    for name, problems in (error.fields or {"": [error.message]}).items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
