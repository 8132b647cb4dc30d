"""Which upstream calls answer the missing part of a data request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from gateway.cache.store import days_of
from gateway.data.days import runs
from gateway.data.request import DataRequest
from gateway.enedis.adapters import ProviderAdapter
from gateway.enedis.upstream_call import UpstreamCall


def plan_calls(
    data: DataRequest, missing: Sequence[date | str], adapter: ProviderAdapter
) -> list[UpstreamCall]:
    """The calls fetching ``missing``: its runs of consecutive days cut at the adapter's
    per-call maximum, or one call per missing contract-data section."""
    prm = data.usage_point_id
    days = [day for day in missing if isinstance(day, date)]
    if days:
        max_days = adapter.max_days(data.endpoint)
        return [UpstreamCall(data.endpoint, prm, start, end) for start, end in runs(days, max_days)]
    return [
        UpstreamCall(data.endpoint, prm, section=section)
        for section in missing
        if isinstance(section, str)
    ]


def full_plan(data: DataRequest, adapter: ProviderAdapter) -> list[UpstreamCall]:
    """The calls fetching the whole request (the cache not consulted)."""
    return plan_calls(data, days_of(data.endpoint, data.start, data.end, data.sections), adapter)
