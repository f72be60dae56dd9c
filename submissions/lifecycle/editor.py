"""The REMBI editor page: what it draws and how it answers a save.

The page works as a plain form (each button posts, the server redirects back) and, with
`static/aperture/rembi-editor.js`, saves as the person types (`X-Autosave: 1`, answered with
JSON) and adds or removes list items in place: the JSON then carries the HTML of the lists
that changed (`fragments`, by element id), drawn by the same template as the whole page.
Every save keeps what is valid and holds each malformed value as typed
(`lifecycle.services.save_description`), so no input is ever lost.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone

from submissions.lifecycle import services
from submissions.lifecycle.models import Submission
from submissions.rembi import forms as rembi_form
from submissions.rembi import services as rembi
from submissions.rembi.services import vocab
from submissions.rembi.services.fields import label_of
from submissions.rembi.services.spec import REMBI, Group
from submissions.review import selectors as review_selectors

Errors = dict[str, list[str]]
COMPONENTS = "components"


def files_url(submission: Submission) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("submission-files", args=[submission.pk])
    except NoReverseMatch:
        return ""


def picker_data() -> dict[str, Any]:
    """What the editor's ontology pickers look names up in, offline."""
    fbbi: dict[str, list[str]] = {}
    for term in vocab.imaging_methods():
        for label in (*term.synonyms, term.name):
            fbbi[label.lower()] = [term.id, term.name]
    return {
        "fbbi": fbbi,
        "fbbiIds": {term.id: term.name for term in vocab.imaging_methods()},
        "organisms": {
            o.scientific_name.lower(): [o.taxon_id, o.scientific_name, o.common_name]
            for o in vocab.organisms()
        },
        "taxa": {o.taxon_id: [o.scientific_name, o.common_name] for o in vocab.organisms()},
    }


def context(
    submission: Submission,
    document: dict[str, Any],
    errors: Errors,
    missing: Errors,
    focus: str = "",
    drafts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    sections = rembi_form.bind(document, errors, missing, focus, drafts)
    open_request = review_selectors.open_change_request(submission=submission)
    points = rembi_form.at_editor_paths(review_selectors.points_by_target(open_request))
    return {
        "submission": submission,
        "sections": sections,
        "errors": errors,
        "error_count": sum(len(v) for v in errors.values()),
        "organisms": vocab.organisms(),
        "imaging_methods": vocab.imaging_methods(),
        "roles": vocab.AUTHOR_ROLES,
        "files_url": files_url(submission),
        "picker_data": picker_data(),
        # Shown beside each field (review/_field_requests.html) and listed at the top.
        "open_request": open_request,
        "open_points": points,
        "editor_paths": rembi_form.with_aliases(rembi_form.bound_paths(sections)),
        # Optional sections open by themselves when a point is about something inside.
        "requested_sections": {path.split(".", 1)[0] for path in points},
    }


def saved_context(
    submission: Submission, errors: Errors, *, focus: str = "", missing: Errors | None = None
) -> dict[str, Any]:
    """The page for what is stored now: the description with the drafts drawn over it."""
    document, _ = rembi.clean(submission.metadata)
    drafts = submission.draft_values if isinstance(submission.draft_values, dict) else {}
    return context(submission, document, errors, missing or {}, focus, drafts)


def held_message(errors: Errors) -> str:
    """The save line, in words: what was saved, and what waits for a correction."""
    saved_at = timezone.localtime().strftime("%H:%M:%S")
    if not errors:
        return f"All changes saved at {saved_at}."
    names = [label_of(path) for path in errors]
    shown = "; ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if len(names) == 1:
        return (
            f"Saved at {saved_at}. One value needs correcting and is kept as you typed it: {shown}."
        )
    return (
        f"Saved at {saved_at}. {len(names)} values need correcting and are kept as you "
        f"typed them: {shown}."
    )


def _changed_lists(action: str) -> list[str]:
    """The lists an add or remove redraws: the list itself and, when its items are what
    study components refer to, the components (their choices name those items)."""
    verb, _, path = action.partition(":")
    if verb == "remove":
        path = path.rpartition(".")[0]
    if verb not in ("add", "remove") or not path:
        return []
    node = REMBI
    for part in path.split("."):
        child = node.child(part)
        assert isinstance(child, Group)
        node = child
    return [path, COMPONENTS] if node.keyed and path != COMPONENTS else [path]


def fragments(request: HttpRequest, ctx: dict[str, Any], action: str) -> dict[str, str]:
    """The HTML of each list an add or remove changed, by element id."""
    out: dict[str, str] = {}
    for path in _changed_lists(action):
        node = rembi_form.find_node(ctx["sections"], path)
        if node is not None:
            out[node.id] = render_to_string(
                "rembi/_rembi_node.html", {**ctx, "node": node}, request=request
            )
    return out


def answer(
    request: HttpRequest,
    submission: Submission,
    errors: Errors,
    action: str,
    focus: str,
) -> JsonResponse:
    """The JSON answer to a save from the page's script."""
    body: dict[str, Any] = {
        "saved": True,
        "errors": errors,
        "message": held_message(errors),
    }
    if action.startswith(("add:", "remove:")):
        ctx = saved_context(submission, errors, focus=focus)
        body["fragments"] = fragments(request, ctx, action)
        body["focus"] = focus
    return JsonResponse(body)


def refused(message: str, errors: Errors, status: int) -> JsonResponse:
    return JsonResponse({"saved": False, "message": message, "errors": errors}, status=status)


def current_errors(submission: Submission) -> Errors:
    return services.draft_errors(submission=submission)
