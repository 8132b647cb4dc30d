"""Embedded PostgreSQL as root from a private folder: the cluster lives outside it, and the
cluster of a data folder that was deleted is removed at the next start."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from gateway.embedded import EmbeddedPostgres


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_a_private_data_folder_gets_an_outside_cluster_removed_after_the_folder(
    tmp_path: Path,
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    first = EmbeddedPostgres(private / "a" / "postgres", durable=False)
    first.start()
    try:
        with psycopg.connect(first.url, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        cluster = first.pgdata.parent
        assert not cluster.is_relative_to(private)
        assert not first.bin.is_relative_to(Path(__file__).parents[2])  # not the checkout's
    finally:
        first.stop()
    assert (private.stat().st_mode & 0o777) == 0o700
    shutil.rmtree(private / "a")
    os.utime(cluster, (0, 0))  # older than a start in progress could be
    second = EmbeddedPostgres(private / "b" / "postgres", durable=False)
    second.start()
    try:
        assert not cluster.exists()
        assert second.pgdata.exists()
    finally:
        second.stop()
        shutil.rmtree(second.pgdata.parent)
