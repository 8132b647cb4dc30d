"""Who shared which point with the application: the sandbox's book of consents.

Rules (both consent pages and both generations of data APIs read them here):

- a point of the customers table is readable unless the table marks its consent refused
  (customer ``revoked``) or it was revoked at run time (``POST /__sandbox/revoke``);
- a generated customer (a ``sandbox_customer`` name outside the table) exists once a
  consent page named it; its point is readable from then on;
- a consent (v1: every point of the customer, v2: one point) records a ``Share`` with its
  dates (``start`` = the day of the consent, ``end`` = start + the requested duration) and
  lifts a run-time revocation; a revocation ends the share (``ended_on``), which
  ``subscribed_services`` then lists as ``TERMINE``;
- the ``autorisation_id`` is a keyed digest of (application, customer): the same for every
  consent of one holder to the application, also after a revocation;
- right after a consent, for ``delay`` seconds, the authorisation lists no service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from gateway.enedis.catalogue import subtract_months
from gateway.sandbox.customers import (
    CUSTOMERS,
    POINTS,
    Customer,
    UsagePoint,
    generated_customer,
    valid_customer_name,
)

__all__ = ["MAX_GENERATED_CUSTOMERS", "ConsentBook", "Share"]

#: Generated customers one sandbox remembers (memory stays bounded); further names refused.
MAX_GENERATED_CUSTOMERS = 10_000


@dataclass
class Share:
    """One point shared by one holder with the application."""

    customer: Customer
    point: UsagePoint
    autorisation_id: int
    given_at: float
    start: date
    end: date
    ended_on: date | None = None

    @property
    def active(self) -> bool:
        """True while the point may be read (not revoked, not refused in the table)."""
        return self.ended_on is None and self.point.consent


class ConsentBook:
    """Shares, run-time revocations and generated customers of one sandbox."""

    def __init__(self, key: bytes, clock: Callable[[], float], delay_seconds: float) -> None:
        self._key = hashlib.blake2b(key, digest_size=32).digest()
        self._clock = clock
        self._delay = delay_seconds
        self._generated: dict[str, tuple[Customer, UsagePoint]] = {}
        self._shares: dict[tuple[str, str], Share] = {}
        self._revoked: set[str] = set()

    def autorisation_id(self, customer: Customer) -> int:
        """The stable authorisation id of ``customer`` with this application (9 digits)."""
        digest = hashlib.blake2b(customer.name.encode(), key=self._key, digest_size=8).digest()
        return 100_000_000 + int.from_bytes(digest, "big") % 900_000_000

    def customer(self, name: str) -> Customer | None:
        """The table's customer ``name``, else the generated one (None for a bad name).

        None too once ``MAX_GENERATED_CUSTOMERS`` other names were generated.
        """
        found = CUSTOMERS.get(name)
        if found is not None:
            return found
        if not valid_customer_name(name):
            return None
        customer = generated_customer(name)
        known = all(p.usage_point_id in self._generated for p in customer.points)
        if not known and len(self._generated) >= MAX_GENERATED_CUSTOMERS:
            return None
        for point in customer.points:
            self._generated.setdefault(point.usage_point_id, (customer, point))
        return customer

    def lookup(self, usage_point_id: str) -> tuple[Customer, UsagePoint] | None:
        """The holder and point of ``usage_point_id``, if the sandbox knows it."""
        return POINTS.get(usage_point_id) or self._generated.get(usage_point_id)

    def readable(self, usage_point_id: str) -> tuple[Customer, UsagePoint] | None:
        """The holder and point when the application may read the point, else None."""
        found = self.lookup(usage_point_id)
        if found is None or not found[1].consent or usage_point_id in self._revoked:
            return None
        return found

    def is_shared(self, customer: Customer, point: UsagePoint) -> bool:
        """True when the holder's point is shared now (for ``SANDBOX_STRICT_SHARES``)."""
        share = self._shares.get((customer.name, point.usage_point_id))
        return share is not None and share.active and point.usage_point_id not in self._revoked

    def give(
        self,
        customer: Customer,
        points: tuple[UsagePoint, ...],
        months: int,
        days: int,
        today: date,
    ) -> int:
        """Record a consent to ``points`` for ``months`` + ``days``; its authorisation id."""
        autorisation_id = self.autorisation_id(customer)
        end = subtract_months(today, -months) + timedelta(days=days)
        now = self._clock()
        for point in points:
            key = (customer.name, point.usage_point_id)
            self._shares[key] = Share(customer, point, autorisation_id, now, today, end)
            self._revoked.discard(point.usage_point_id)
        return autorisation_id

    def revoke(self, usage_point_id: str, today: date) -> bool:
        """Revoke every share of a point (False for an unknown point)."""
        if self.lookup(usage_point_id) is None:
            return False
        self._revoked.add(usage_point_id)
        for share in self._shares.values():
            if share.point.usage_point_id == usage_point_id and share.ended_on is None:
                share.ended_on = today
        return True

    def shares_of(self, autorisation_id: int) -> list[Share] | None:
        """The shares of an authorisation; None right after a consent (see ``delay``)."""
        shares = [s for s in self._shares.values() if s.autorisation_id == autorisation_id]
        if not shares:
            return []
        if self._clock() < max(s.given_at for s in shares) + self._delay:
            return None
        return shares
