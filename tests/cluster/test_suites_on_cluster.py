"""Tests of the core, cache, accounts and legacy suites, run again on a Valkey Cluster.

A representative subset (each run on one node stays in its own suite): the journey on every
endpoint, coalescing, quota, the shared application token, the limiter of two replicas under
200 concurrent requests, cache HIT/PARTIAL and purges, nothing readable at rest, account
deletion leaving no key on any node, one-time OAuth states, admin quota reset, legacy purges.
"""

from __future__ import annotations

from tests.accounts.test_admin import (
    admin_gateway,
    test_admin_lists_accounts_with_usage,
    test_admin_resets_quota_and_purges_cache,
)
from tests.accounts.test_consent import test_signup_token_consent_pdl, test_state_is_one_time
from tests.accounts.test_delete import test_delete_account_removes_everything
from tests.cache.test_cache import (
    test_nothing_readable_in_redis_after_a_workload,
    test_overlapping_range_fetches_only_missing_days,
    test_purges_remove_exactly_what_they_say,
)
from tests.core.test_forwarder_errors import test_replicas_share_one_application_token
from tests.core.test_upstream_budget import test_two_replicas_share_the_budget
from tests.core.test_v5_surface import (
    test_100_identical_concurrent_requests_make_one_upstream_call,
    test_an_exhausted_quota_is_429_with_headers_and_no_upstream_call,
    test_every_endpoint_round_trips_equal_to_the_sandbox,
)
from tests.legacy.test_cache_purge import (
    test_delete_cache_of_a_point_purges_every_endpoint,
    test_purges_of_one_account_leave_another_accounts_cache,
)

__all__ = [
    "admin_gateway",
    "test_100_identical_concurrent_requests_make_one_upstream_call",
    "test_admin_lists_accounts_with_usage",
    "test_admin_resets_quota_and_purges_cache",
    "test_an_exhausted_quota_is_429_with_headers_and_no_upstream_call",
    "test_delete_account_removes_everything",
    "test_delete_cache_of_a_point_purges_every_endpoint",
    "test_every_endpoint_round_trips_equal_to_the_sandbox",
    "test_nothing_readable_in_redis_after_a_workload",
    "test_overlapping_range_fetches_only_missing_days",
    "test_purges_of_one_account_leave_another_accounts_cache",
    "test_purges_remove_exactly_what_they_say",
    "test_replicas_share_one_application_token",
    "test_signup_token_consent_pdl",
    "test_state_is_one_time",
    "test_two_replicas_share_the_budget",
]
