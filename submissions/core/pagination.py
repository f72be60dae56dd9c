"""A paginator told its count: the review queue already counted its rows per state."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator


class KnownCountPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # fills Paginator.count's cached_property
