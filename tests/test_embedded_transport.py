"""The in-process HTTP bridge: requests run on the caller's own thread and loop, endpoints of
an inline app on that thread too, and a forked child never breaks its parent's loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from tools.sandbox.embedded import SyncASGITransport
from tools.sandbox.shop import ShopService

ROOT = Path(__file__).resolve().parent.parent


def _endpoint_threads(service: ShopService, *, inline: bool) -> set[str]:
    """The threads the service's endpoints ran on for two requests from this thread."""
    seen: set[str] = set()
    read = service.read

    def recording_read():  # noqa: ANN202 - a context manager, as the original
        seen.add(threading.current_thread().name)
        return read()

    service.read = recording_read  # type: ignore[method-assign]
    with httpx.Client(transport=SyncASGITransport(service.app(inline=inline)), base_url="http://shop.test") as client:
        for _ in range(2):
            response = client.get("/merchants")
            assert response.status_code == 200, response.text
            assert response.json()["merchants"]
    return seen


def test_an_inline_app_runs_its_endpoints_on_the_calling_thread(errand_home: Path) -> None:
    assert _endpoint_threads(ShopService(errand_home), inline=True) == {threading.current_thread().name}


def test_a_served_app_keeps_its_endpoints_on_a_worker_pool(errand_home: Path) -> None:
    threads = _endpoint_threads(ShopService(errand_home), inline=False)
    assert threads and threading.current_thread().name not in threads


def test_each_thread_uses_its_own_loop_and_requests_from_many_threads_all_complete(errand_home: Path) -> None:
    client = httpx.Client(transport=SyncASGITransport(ShopService(errand_home).app(inline=True)),
                          base_url="http://shop.test")
    statuses: list[int] = []
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(5):
            status = client.get("/merchants").status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    client.close()
    assert statuses == [200] * 40


def test_a_request_from_inside_a_running_loop_still_works(errand_home: Path) -> None:
    import asyncio

    client = httpx.Client(transport=SyncASGITransport(ShopService(errand_home).app(inline=True)),
                          base_url="http://shop.test")

    async def inside() -> int:
        return client.get("/merchants").status_code  # a sync client called from async code

    assert asyncio.run(inside()) == 200
    client.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_that_drops_its_inherited_loop_does_not_deafen_the_parents(tmp_path: Path) -> None:
    # The child shares the parent's epoll instance: had it closed the inherited loop, the
    # parent's loop would no longer hear its worker threads, and the last request would hang.
    script = textwrap.dedent(f"""
        import gc, multiprocessing, httpx
        from tools.sandbox.embedded import SyncASGITransport
        from tools.sandbox.shop import ShopService

        service = ShopService({str(tmp_path)!r})
        pooled = httpx.Client(transport=SyncASGITransport(service.app()), base_url="http://shop.test")
        assert pooled.get("/merchants").status_code == 200  # this thread's loop now exists

        def child():
            assert pooled.get("/merchants").status_code == 200  # replaces the inherited loop
            gc.collect()

        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        process.join(30)
        assert process.exitcode == 0, process.exitcode
        gc.collect()
        assert pooled.get("/merchants").status_code == 200  # needs a wake-up from a worker thread
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
