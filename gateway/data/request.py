"""A data request as the chain sees it, whichever surface it came through."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway.enedis.catalogue import Endpoint

if TYPE_CHECKING:
    from gateway.cache.store import Entry

#: Renders the model entries of a request (every day or section present) in a dialect.
Renderer = Callable[["DataRequest", "Mapping[date | str, Entry]"], dict[str, Any]]


class CacheMode(enum.Enum):
    USE = "use"  # read the cache, fetch what is missing, write it back
    REFRESH = "refresh"  # Cache-Control: no-cache: fetch from upstream, write back
    NO_STORE = "no_store"  # Cache-Control: no-store / legacy plain paths: neither read nor write


@dataclass(frozen=True, slots=True)
class DataRequest:
    """What to answer: a dataset of a usage point, for ranged data ``[start, end[``, the
    contract-data ``sections`` it is made of otherwise, and how to render it (``render``,
    in the surface's ``dialect``)."""

    endpoint: Endpoint
    usage_point_id: str
    render: Renderer
    dialect: str
    start: date | None = None  # ranged endpoints: [start, end[
    end: date | None = None
    cache: CacheMode = CacheMode.USE
    sections: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        if self.start is None or self.end is None:
            return 0
        return (self.end - self.start).days


def cache_mode_from_headers(request: web.Request, default: CacheMode = CacheMode.USE) -> CacheMode:
    """``Cache-Control: no-store`` bypasses the cache, ``no-cache`` refreshes it."""
    directives = {
        part.strip().lower().split("=", 1)[0]
        for part in request.headers.get("Cache-Control", "").split(",")
    }
    if "no-store" in directives:
        return CacheMode.NO_STORE
    if "no-cache" in directives:
        return CacheMode.REFRESH
    return default
