"""Which upstream generation the suite runs against (``TEST_ENEDIS_API``, default 2026)."""

from __future__ import annotations

import os

from gateway import redis_keys
from gateway.enedis.catalogue import Api

ENEDIS_API = os.environ.get("TEST_ENEDIS_API", "2026")


def measurement_limiter_key() -> str:
    """The Redis tag of the limiter that measurement calls go through."""
    api = Api.V5 if ENEDIS_API == "v5" else Api.MESURE
    return redis_keys.limiter_key(api.value)
