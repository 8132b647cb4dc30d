"""One Redis connection shared by every request of a replica, its commands pipelined.

redis-py takes a connection from its pool for each command: a lock, a probe of the socket
before use, observability events, a timeout context, the encoding of each argument in
Python. Measured on a warm hit (issue 18), that was about a fifth of the request's time.
The hot path's commands go through this multiplexer instead: each command is encoded by
hiredis; the first command of a turn of the event loop is written at once and the others
made during that turn leave together in one write; the replies, which Redis sends in the
order of the commands, are handed to their callers first in, first out (parsed by
hiredis).

It serves one Redis node reached over TCP (``redis://`` with its user, password and
database); for TLS (``rediss://``), a unix socket or a cluster, ``for_url`` gives None and
everything goes through redis-py. Failures are redis-py's exceptions, so callers handle
them as any Redis failure: ``ConnectionError`` when the connection cannot be made or is
lost (every command waiting fails with it; the next command connects again),
``TimeoutError`` when a reply is later than ``timeout`` (the connection is dropped: later
replies could no longer be matched to their commands), ``ResponseError`` (``NoScriptError``
for NOSCRIPT) for an error reply, after which the connection goes on.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any, cast

import hiredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import (
    AuthenticationError,
    ConnectionError,
    NoScriptError,
    RedisError,
    ResponseError,
    TimeoutError,
)

Arg = str | bytes | int | float


class _Link(asyncio.Protocol):
    """One connection: commands written in batches, replies matched in order."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(replyError=ResponseError)
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.outgoing: list[bytes] = []
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._flush_scheduled = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._failure: Exception | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        try:
            reader.feed(data)
            while (reply := reader.gets()) is not False:
                future, _ = self.waiting.popleft()
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(reply, ResponseError):
                    future.set_exception(_error(reply))
                else:
                    future.set_result(reply)
        except (hiredis.ProtocolError, IndexError) as exc:  # unparsable, or a reply too many
            self.fail(ConnectionError(f"Redis protocol error: {type(exc).__name__}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError("Connection to Redis lost."))

    # -- commands ------------------------------------------------------------------------------
    def send(self, command: bytes) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        if self.closed:
            future.set_exception(self._failure or ConnectionError("Connection to Redis closed."))
            return future
        self.waiting.append((future, time.monotonic() + self.timeout))
        if self._flush_scheduled:
            self.outgoing.append(command)  # leaves with the others of this loop turn
        else:  # the first command of a loop turn leaves at once; the turn's others together
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
            if self.transport is not None:
                self.transport.write(command)
        if self._watchdog is None:
            self._watchdog = self._loop.call_later(self.timeout, self._check_late)
        return future

    def _flush(self) -> None:
        self._flush_scheduled = False
        outgoing, self.outgoing = self.outgoing, []
        if outgoing and self.transport is not None and not self.closed:
            self.transport.write(b"".join(outgoing))

    def _check_late(self) -> None:
        self._watchdog = None
        if self.closed or not self.waiting:
            return
        oldest = self.waiting[0][1]
        now = time.monotonic()
        if now >= oldest:
            self.fail(TimeoutError("Timeout reading from Redis."))
            return
        self._watchdog = self._loop.call_later(oldest - now, self._check_late)

    def fail(self, failure: Exception) -> None:
        """Close the connection; every command waiting fails with ``failure``."""
        if not self.closed:
            self.closed = True
            self._failure = failure
            if self.transport is not None:
                self.transport.abort()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(failure)


def _pack(args: tuple[Arg | None, ...]) -> bytes:
    # hiredis' stub types the argument as a 1-tuple; it takes any number of arguments
    packed: bytes = hiredis.pack_command(cast("tuple[Arg]", args))
    return packed


def _error(reply: ResponseError) -> RedisError:
    message = str(reply)
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    if message.startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
        return AuthenticationError(message)
    return reply


class RedisMultiplexer:
    """Commands to one Redis node over one pipelined connection (see the module)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        db: int = 0,
        timeout: float = 1.0,
        connect_timeout: float = 0.5,
    ) -> None:
        self.host, self.port = host, port
        self._handshake: list[tuple[Arg, ...]] = []
        if password:
            self._handshake.append(("AUTH", username, password) if username else ("AUTH", password))
        if db:
            self._handshake.append(("SELECT", db))
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._link: _Link | None = None
        self._connecting: asyncio.Future[_Link] | None = None

    @classmethod
    def for_url(cls, url: str, *, timeout: float = 1.0) -> RedisMultiplexer | None:
        """The multiplexer of a ``redis://`` URL; None for TLS and unix sockets."""
        options = parse_url(url)
        if options.get("connection_class") in (SSLConnection, UnixDomainSocketConnection):
            return None
        return cls(
            str(options.get("host") or "localhost"),
            int(options.get("port") or 6379),
            username=options.get("username"),
            password=options.get("password"),
            db=int(options.get("db") or 0),
            timeout=timeout,
            connect_timeout=min(timeout, 0.5),
        )

    async def execute(self, *args: Arg) -> Any:
        """One command's reply."""
        link = self._link
        if link is None or link.closed:
            link = await self._connected()
        return await link.send(_pack(args))

    async def execute_many(self, commands: list[tuple[Arg, ...]]) -> list[Any]:
        """The replies of ``commands``, sent together; the first error is raised after
        every reply came (as a redis-py pipeline does)."""
        link = self._link
        if link is None or link.closed:
            link = await self._connected()
        futures = [link.send(_pack(command)) for command in commands]
        replies = await asyncio.gather(*futures, return_exceptions=True)
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return replies

    async def run_script(
        self, sha: str, script: str | bytes, keys: list[str], args: list[Arg]
    ) -> Any:
        """EVALSHA, or EVAL when the server does not know the script yet (it keeps it)."""
        try:
            return await self.execute("EVALSHA", sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self.execute("EVAL", script, len(keys), *keys, *args)

    async def _connected(self) -> _Link:
        """The open link: made once for every caller arriving while it is being made."""
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done() and self._connecting is connecting:
                self._connecting = None

    async def _connect(self) -> _Link:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, link = await loop.create_connection(
                    lambda: _Link(self.timeout), self.host, self.port
                )
        except TimeoutError:
            raise TimeoutError("Timeout connecting to Redis.") from None
        except OSError as exc:
            raise ConnectionError(f"Error connecting to Redis: {exc.strerror or exc}") from None
        try:
            for command in self._handshake:
                await link.send(_pack(command))
        except BaseException:
            link.fail(ConnectionError("Redis handshake failed."))
            raise
        self._link = link
        return link

    async def close(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.fail(ConnectionError("Connection to Redis closed."))
