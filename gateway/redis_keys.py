"""The names of every Redis key, in one place.

Everything that belongs to an account starts with the hash tag ``{a:<account_id>}``, so
that one account's keys live in one Redis Cluster slot and can be found and deleted
together (a multi-key command or script of one account touches one slot).
Usage point ids never appear in clear: they are replaced by a keyed digest.
"""

from __future__ import annotations


def account_tag(account_id: str) -> str:
    return "{a:" + account_id + "}"


def account_index(account_id: str) -> str:
    """The set listing the account's keys whose names vary (revoked tokens, counters,
    last calls): with the fixed names and the cache's own indexes, deleting an account
    finds every key without SCAN (which a cluster does node by node)."""
    return f"{account_tag(account_id)}:index"


def web_epoch_key(account_id: str) -> str:
    """The account's current web-session epoch (replaced at sign-out: every session ends)."""
    return f"{account_tag(account_id)}:web"


def limiter_key(api: str = "v5") -> str:
    """The hash tag of one API's upstream limiter: its keys (``<tag>:s`` per second,
    ``<tag>:h`` per hour) share one slot, as its script touches both."""
    return "{limiter:" + api + "}"


# Application-wide keys
APP_TOKEN = "enedis:app_token"
APP_TOKEN_LOCK = "enedis:app_token:lock"
BREAKER = "enedis:breaker"
OAUTH_STATE_PREFIX = "oauth:state:"
AUTH_FAIL_ADDRESS_PREFIX = "authfail:addr:"  # failed client secrets (and admin keys)
PASSWORD_FAIL_ADDRESS_PREFIX = "pwfail:addr:"  # failed passwords, counted apart
SIGNUP_ADDRESS_PREFIX = "signup:addr:"
SIGNUP_ALL = "signup:all"
