"""A paginator told its count: the review queue already counted its rows per state.

The count may be a lower bound (the queue stops counting at a limit so its cost does not grow
with the table). Then there is no last page to name: each page reads one row more than it
shows to learn whether another page follows, and a page past the end is empty (EmptyPage).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator


class OpenEndedPage(Page):
    """A page of a list whose length is not known: it knows only whether another follows."""

    def __init__(self, object_list: Any, number: int, paginator: Any, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


class KnownCountPaginator(Paginator):
    def __init__(
        self, object_list: Any, per_page: int, *, count: int, exact: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # fills Paginator.count's cached_property
        self.exact = exact

    def validate_number(self, number: Any) -> int:
        if self.exact:
            return int(super().validate_number(number))
        try:
            value = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer.") from error
        if value < 1:
            raise EmptyPage("That page number is less than 1.")
        return value

    def page(self, number: Any) -> Page:
        if self.exact:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results.")
        return OpenEndedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number: Any) -> Page:
        """Like Paginator.get_page, but past the end of an open-ended list is its first page
        (its last one is not known)."""
        if self.exact:
            return super().get_page(number)
        try:
            return self.page(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)
