"""A replica killed in the middle of an import: another replica finishes it, and no day is
fetched twice."""

from __future__ import annotations

import asyncio
import signal

from gateway.enedis.catalogue import Api
from tests.conftest import Services
from tests.imports.conftest import STALLED_SECONDS
from tests.imports.test_history_import import history_of, wait_history
from tests.reliability.conftest import replicas, session_of
from tests.support.journey import ready_account
from tests.support.processes import gateway_process

#: The calls of a whole import of a generated customer (consumption with load curve): 4
#: daily energy, 4 max power, 107 load curve, and one call each to find no production.
WHOLE_IMPORT_CALLS = 4 + 4 + 107 + 1 + 1


async def test_a_killed_replica_s_import_is_finished_by_another(clean_services: Services) -> None:
    env = {"IMPORT_ENABLED": "true", "IMPORT_STALLED_SECONDS": STALLED_SECONDS}
    async with replicas(clean_services, 1, **env) as (first,):
        async with session_of(first) as client:
            account = await ready_account(client, customer="import-killed-replica")
            await wait_history(client, account, lambda h: h["progress"] > 0.1)
        second = gateway_process(clean_services.log_dir, clean_services.env(**env))
        await asyncio.to_thread(second.start, "/health/ready")
        try:
            first.signal(signal.SIGKILL)
            async with session_of(second) as client:
                killed_at = await history_of(client, account)
                assert killed_at["status"] == "running"
                done = await wait_history(client, account, lambda h: h["status"] == "complete")
        finally:
            await asyncio.to_thread(second.stop)
    assert done["progress"] == 1.0
    calls = clean_services.sandbox_stats()["calls_by_api"][Api.MESURE.value]
    # at most the one call in flight when the replica died (made, its answer never written)
    assert WHOLE_IMPORT_CALLS <= calls <= WHOLE_IMPORT_CALLS + 1
