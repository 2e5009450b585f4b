"""Sandbox services reuse their SQLite connections, but never through a replaced database,
never across a fork, and let go of them when asked (an eval trial's home is deleted)."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from tools.sandbox.base import release_connections
from tools.sandbox.shop import ShopService


def probe(service: ShopService) -> str | None:
    with service.read() as conn:
        row = conn.execute("SELECT value FROM sandbox_meta WHERE key='probe'").fetchone()
    return row["value"] if row else None


def mark(service: ShopService, value: str) -> None:
    with service.write() as conn:
        conn.execute("INSERT OR REPLACE INTO sandbox_meta VALUES ('probe', ?)", (value,))


def test_requests_reuse_one_connection(errand_home: Path) -> None:
    shop = ShopService(errand_home)
    with shop.read() as first:
        pass
    with shop.write() as second:
        pass
    assert second is first
    with shop.read() as outer, shop.read() as inner:  # two at once: two connections
        assert inner is not outer


def test_a_database_replaced_underneath_is_never_read_through_an_old_connection(errand_home: Path) -> None:
    shop = ShopService(errand_home)
    mark(shop, "before")
    assert probe(shop) == "before"
    ShopService(errand_home).reset()  # another instance (as another process would): same path, new file
    assert probe(shop) is None
    mark(shop, "after")
    shop.reset()
    assert probe(shop) is None


def test_a_failed_write_leaves_nothing_behind_for_the_next_borrower(errand_home: Path) -> None:
    shop = ShopService(errand_home)
    with pytest.raises(RuntimeError):
        with shop.write() as conn:
            conn.execute("INSERT INTO sandbox_meta VALUES ('probe', 'half')")
            raise RuntimeError("the endpoint failed")
    assert probe(shop) is None
    with shop.read() as conn:
        assert not conn.in_transaction


def test_released_connections_are_closed_and_others_kept(tmp_path: Path) -> None:
    trial, other = ShopService(tmp_path / "trial"), ShopService(tmp_path / "other")
    with trial.read() as used:
        pass
    with other.read() as kept:
        pass
    assert release_connections(tmp_path / "trial") == 1
    with pytest.raises(Exception, match="closed"):
        used.execute("SELECT 1")
    with other.read() as again:
        assert again is kept


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_opens_its_own_connection(errand_home: Path) -> None:
    shop = ShopService(errand_home)
    mark(shop, "parent")
    with shop.read() as parents:
        pass
    context = multiprocessing.get_context("fork")
    answer = context.Queue()

    def child() -> None:
        with shop.read() as conn:
            answer.put((conn is parents, conn.execute("SELECT value FROM sandbox_meta WHERE key='probe'")
                        .fetchone()["value"]))

    process = context.Process(target=child)
    process.start()
    shared, value = answer.get(timeout=30)
    process.join(30)
    assert (shared, value, process.exitcode) == (False, "parent", 0)
    with shop.read() as conn:  # the parent's is still good
        assert conn is parents and probe(shop) == "parent"
