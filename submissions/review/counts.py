"""How many submissions each tab of the review queue holds, at a cost that does not grow with
the table.

A facility's queue holds every submission it ever received, so exact counts under a filter
would read every matching row: at 100,000 submissions a search for a common word reads
thousands. Counting therefore stops at COUNT_LIMIT:
1. With no text search, each state is counted up to COUNT_LIMIT + 1 from the
   queue_state_counts index (facility, status, submitted_at, with assignee, owner and the
   failed-files flag included), in one statement; a tab over the limit says "200+".
2. A text search (trigram index) is not in that index, and counting each state would read
   every match again. One scan then reads at most COUNT_LIMIT + 1 matches' states: if that is
   all of them every tab is exact, otherwise only "more than 200 match" is known, and the
   tabs show no number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

from submissions.accounts.models import Facility, User
from submissions.lifecycle.models import Submission
from submissions.review.selectors import QUEUE_STATES, WAITING, QueueFilters, filtered_queue

COUNT_LIMIT = 200
TABS = {
    "waiting": [s.value for s in WAITING],
    "all": [s.value for s in QUEUE_STATES],
    **{s.value: [s.value] for s in QUEUE_STATES},
}


@dataclass(frozen=True)
class StateCounts:
    """Each tab's count: exact, a lower bound (a tab in over_limit), or not counted (absent)."""

    counts: dict[str, int]
    over_limit: frozenset[str]

    def count(self, tab: str) -> int:
        return self.counts.get(tab, 0)

    def exact(self, tab: str) -> bool:
        return tab in self.counts and tab not in self.over_limit

    def label(self, tab: str) -> str:
        """ "37", "1,000+" past the limit, or "" for a tab not counted."""
        if tab not in self.counts:
            return ""
        count = f"{self.counts[tab]:,}"
        return count if tab not in self.over_limit else f"{count}+"

    def summary(self, tab: str) -> str:
        """What the line above the table says about how many rows the tab holds."""
        if self.exact(tab):
            n = self.counts[tab]
            return f"{n:,} submission{'' if n == 1 else 's'}"
        if tab in self.counts:
            return f"More than {self.counts[tab]:,} submissions"
        return (
            f"More than {self.counts['all']:,} submissions match these filters in all states, "
            "too many to count each state; narrow the search to see the counts."
        )


def queue_state_counts(*, user: User, facility: Facility, filters: QueueFilters) -> StateCounts:
    rows = filtered_queue(user=user, facility=facility, filters=filters).order_by()
    if not filters.q:
        # Every remaining filter is in the queue_state_counts index: count each state there.
        return _tabs(_bounded_counts(rows, {s.value: [s.value] for s in QUEUE_STATES}))
    # A text search: one bounded scan of the matches' states.
    sample = list(rows.values_list("status", flat=True)[: COUNT_LIMIT + 1])
    if len(sample) <= COUNT_LIMIT:
        found = Counter(sample)
        return _tabs({state.value: found[state.value] for state in QUEUE_STATES})
    # Counting each state would read every match again (the search is not in that index).
    return StateCounts({"all": COUNT_LIMIT}, frozenset({"all"}))


def _tabs(per_state: dict[str, int]) -> StateCounts:
    """The states' counts (COUNT_LIMIT + 1 meaning "more") and the tabs summing them."""
    over = _over(per_state)
    counts = {
        tab: sum(min(per_state[s], COUNT_LIMIT) for s in states) for tab, states in TABS.items()
    }
    over_tabs = {tab for tab, states in TABS.items() if over.intersection(states)}
    return StateCounts(counts, frozenset(over_tabs))


def _over(counted: dict[str, int]) -> frozenset[str]:
    return frozenset(tab for tab, n in counted.items() if n > COUNT_LIMIT)


def _bounded_counts(rows: QuerySet[Submission], groups: dict[str, list[str]]) -> dict[str, int]:
    """For each group of states, how many rows it holds, counting no further than
    COUNT_LIMIT + 1: one statement of one bounded subquery per group."""
    parts, params = [], []
    for number, states in enumerate(groups.values()):
        limited = rows.filter(status__in=states).values("pk")[: COUNT_LIMIT + 1]
        sql, part_params = limited.query.get_compiler(using=limited.db).as_sql()
        # Only the compiled SQL of Django querysets is joined here; values stay parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")  # noqa: S608
        params.extend(part_params)
    with connections[rows.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        found = cursor.fetchone()
    return {group: int(n) for group, n in zip(groups, found, strict=True)}
