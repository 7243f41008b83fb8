"""What a worker remembers between requests: values by key (the request's bytes), least recently
used out first, bounded in bytes. A value is kept in a stored form (``_store``/``_load``: the
value itself, or its JSON) whose size ``_size`` counts against the bound; one larger than the
bound's ``1/ENTRY_SHARE`` is not kept. Thread-safe: computations run in worker threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")  # what callers put and get
S = TypeVar("S")  # what is kept


class Memory(Generic[V, S]):
    ENTRY_SHARE = 1

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[bytes, tuple[S, int]] = OrderedDict()
        self._lock = threading.Lock()

    def _store(self, value: V) -> S:
        raise NotImplementedError

    def _load(self, stored: S) -> V:
        raise NotImplementedError

    def _size(self, key: bytes, stored: S) -> int:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: bytes) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: bytes) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
        return self._load(hit[0])

    def put(self, key: bytes, value: V) -> None:
        stored = self._store(value)
        size = self._size(key, stored)
        if size > self.max_bytes // self.ENTRY_SHARE:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (stored, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0
