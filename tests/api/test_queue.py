"""The heavy lane lets waiting work in cheapest first, and forgets waiters that give up."""

from concurrent.futures import ThreadPoolExecutor

import anyio

from app.api.compute import CostQueue


def in_own_loop(fn):
    """Run an async test in an event loop of its own thread (Playwright's sync API may hold the
    main thread's loop when the browser tests share this worker)."""

    def test() -> None:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(anyio.run, fn).result()

    test.__name__, test.__doc__ = fn.__name__, fn.__doc__
    return test


@in_own_loop
async def test_cheapest_waiting_work_goes_first() -> None:
    q = CostQueue(1)
    order: list[str] = []
    await q.acquire(5.0)  # the only slot is taken

    async def job(name: str, work: float | None) -> None:
        await q.acquire(work)
        order.append(name)
        q.release()

    async with anyio.create_task_group() as tg:
        for name, work in [("sweep", 30.0), ("unknown", None), ("chunk", 0.2), ("small", 0.5), ("chunk2", 0.2)]:
            tg.start_soon(job, name, work)
            await anyio.sleep(0.01)
        q.release()
    assert order == ["chunk", "chunk2", "small", "unknown", "sweep"]
    assert q.running == 0 and q.waiting == 0


@in_own_loop
async def test_a_waiter_that_gives_up_leaves_the_queue() -> None:
    q = CostQueue(1)
    await q.acquire(1.0)
    with anyio.move_on_after(0.05):
        await q.acquire(0.1)  # gives up: its deadline
    assert q.waiting == 0
    q.release()
    assert q.running == 0
    await q.acquire(2.0)  # the slot is free again
    assert q.running == 1
