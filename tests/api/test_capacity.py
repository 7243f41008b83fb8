"""The slow-reader guard and the request limit, on their own (app/api/capacity.py): a client that
stops reading is dropped after the grace window, the send budget drops the answer closest to its
cut-off first, a dropped socket is aborted, and requests beyond the limit get a 503 at once."""

from __future__ import annotations

import logging
import time

import anyio

from app.api.capacity import ABORT, CHUNK, RequestLimit, SlowReaders

START = {"type": "http.response.start", "status": 200, "headers": []}


class Client:
    """The server side of one client: takes ``free`` messages at once, then waits until released."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.got: list[dict] = []
        self.release = anyio.Event()
        self.aborted = False

    async def send(self, message: dict) -> None:
        if len(self.got) >= self.free:
            await self.release.wait()
        self.got.append(message)

    def scope(self) -> dict:
        return {"type": "http", "method": "POST", "path": "/x", "extensions": {ABORT: {"abort": self.abort}}}

    def abort(self) -> None:
        self.aborted = True


async def _receive() -> dict:
    return {"type": "http.disconnect"}


def big_answer(size: int, failures: list[BaseException]):
    async def app(scope, receive, send) -> None:
        await send(START)
        try:
            await send({"type": "http.response.body", "body": b"x" * size})
        except TimeoutError as err:
            failures.append(err)
            raise

    return app


def test_a_client_that_stops_reading_is_dropped_after_the_grace_window(caplog) -> None:
    failures: list[BaseException] = []
    guard = SlowReaders(big_answer(10 * CHUNK, failures), write_timeout=0.3, min_rate=1024, budget=10**9)
    client = Client(free=3)  # the head and two pieces go out, then nothing more is read

    async def main() -> float:
        t0 = time.perf_counter()
        with anyio.fail_after(3):  # a guard that never drops it fails here instead of hanging
            await guard(client.scope(), _receive, client.send)
        return time.perf_counter() - t0

    with caplog.at_level(logging.WARNING, logger="optiviz"):
        seconds = anyio.run(main)
    assert 0.25 < seconds < 1.5, seconds
    assert failures and client.aborted  # the app was told, and the socket aborted (not closed)
    assert [len(m.get("body", b"")) for m in client.got] == [0, CHUNK, CHUNK]  # in pieces
    assert "read less than 1024 bytes/s for 0.3 s" in caplog.text


def test_the_send_budget_drops_the_answer_closest_to_its_cut_off() -> None:
    failures: list[BaseException] = []
    guard = SlowReaders(big_answer(4 * CHUNK, failures), write_timeout=5, min_rate=1024, budget=5 * CHUNK)
    first, second = Client(free=2), Client(free=2)  # each holds 3 pieces of its answer, waiting

    async def main() -> tuple[float, bool]:
        async with anyio.create_task_group() as tg:
            t0 = time.perf_counter()
            tg.start_soon(guard, first.scope(), _receive, first.send)
            await anyio.sleep(0.05)
            tg.start_soon(guard, second.scope(), _receive, second.send)
            with anyio.fail_after(2):
                while not first.aborted:
                    await anyio.sleep(0.01)
            dropped_after = time.perf_counter() - t0
            second_aborted = second.aborted
            second.release.set()  # the second client reads on: its answer completes
        return dropped_after, second_aborted

    dropped_after, second_aborted = anyio.run(main)
    assert dropped_after < 1.0  # long before its 5 s grace: the budget, not the rate
    assert not second_aborted
    assert len(failures) == 1 and "send budget" in str(failures[0])
    assert sum(len(m.get("body", b"")) for m in second.got) == 4 * CHUNK


def test_one_answer_alone_is_never_dropped_for_the_budget() -> None:
    failures: list[BaseException] = []
    guard = SlowReaders(big_answer(4 * CHUNK, failures), write_timeout=5, min_rate=1024, budget=CHUNK)
    client = Client(free=2)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(guard, client.scope(), _receive, client.send)
            await anyio.sleep(0.2)
            client.release.set()

    anyio.run(main)
    assert not failures and sum(len(m.get("body", b"")) for m in client.got) == 4 * CHUNK


def test_requests_beyond_the_limit_get_a_503_at_once() -> None:
    gate = anyio.Event()

    async def slow(scope, receive, send) -> None:
        await gate.wait()
        await send(START)
        await send({"type": "http.response.body", "body": b"ok"})

    limit = RequestLimit(slow, max_requests=2)
    answers: list[list[dict]] = [[] for _ in range(3)]

    def sender(i: int):
        async def send(message: dict) -> None:
            answers[i].append(message)

        return send

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(2):
                tg.start_soon(limit, {"type": "http"}, _receive, sender(i))
            await anyio.sleep(0.05)
            await limit({"type": "http"}, _receive, sender(2))  # answered while the two are in progress
            assert answers[2][0]["status"] == 503 and (b"retry-after", b"1") in answers[2][0]["headers"]
            gate.set()
        await limit({"type": "http"}, _receive, sender(2))  # their places are free again

    anyio.run(main)
    assert answers[0][0]["status"] == answers[1][0]["status"] == 200
    assert [m["status"] for m in answers[2] if m["type"] == "http.response.start"] == [503, 200]
