"""Which upstream calls import the whole history of a usage point (a pure function).

Every measured dataset, from the oldest day Enedis gives (``history_deadline``: 36 months
+ 15 days for daily data and max power, 24 months + 15 days for load curves) to yesterday,
in the largest calls Enedis takes (365 days, 7 days), the most recent first: the days a
user asks for first are imported first, and the first answer of a dataset tells whether
the point has it at all (a point that produces nothing has no production data).

Cost per point (calls to ``mesure_synchrone_auto``): a consumption meter with load curve
4 (daily energy) + 4 (max power) + 107 (load curve) = 115; a producer adds 4 + 107;
a meter without load curve or production stops each such dataset after its first call.
"""

from __future__ import annotations

from datetime import date, timedelta

from gateway.enedis.adapters import ProviderAdapter
from gateway.enedis.catalogue import BY_NAME, Endpoint, history_deadline
from gateway.enedis.upstream_call import UpstreamCall

#: The datasets an import fetches, in this order (daily data first: few calls).
IMPORTED: tuple[Endpoint, ...] = tuple(
    BY_NAME[name]
    for name in (
        "daily_consumption",
        "daily_consumption_max_power",
        "daily_production",
        "consumption_load_curve",
        "production_load_curve",
    )
)


def import_calls(
    usage_point_id: str, today: date, adapter: ProviderAdapter, max_days: int = 0
) -> list[UpstreamCall]:
    """The calls of a whole import: per dataset of ``IMPORTED``, ``[deadline, today[`` cut
    backwards from today at the adapter's per-call maximum (the most recent call first and
    full; the oldest one may be shorter). ``max_days`` (when not 0) brings the deadline
    closer: at most that many days back."""
    calls: list[UpstreamCall] = []
    for endpoint in IMPORTED:
        deadline = history_deadline(endpoint, today)
        if max_days:
            deadline = max(deadline, today - timedelta(days=max_days))
        step = timedelta(days=adapter.max_days(endpoint) or (today - deadline).days)
        end = today
        while end > deadline:
            start = max(deadline, end - step)
            calls.append(UpstreamCall(endpoint, usage_point_id, start, end))
            end = start
    return calls
