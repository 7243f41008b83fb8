"""Helpers of the studio's browser tests: wait for states, read what is drawn, ask the API."""

from __future__ import annotations

import base64
import json
import struct
import urllib.request
import zlib

PATHS = (
    "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path')"
    ".map(t => [t.meta.run, Array.from(t.x), Array.from(t.y)])"
)


def ready(page, timeout=20000):
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=timeout)


def settled(page, timeout=30000):
    """The newest answer is drawn and playback is over (at the last iteration). What is left of a
    playback plays at 25× while this waits (its end is the same; a whole run plays 5 s at 1×), then
    the player's speed is what it was."""
    ready(page, timeout)
    faster = "() => { const p = window.optiviz.player, s = p.speed; p.speed = Math.max(s, 25); return s; }"
    speed = page.evaluate(faster)
    page.wait_for_function(
        "() => !window.optiviz.player.playing && window.optiviz.player.it === window.optiviz.player.max",
        timeout=timeout,
    )
    page.evaluate("(s) => { window.optiviz.player.speed = s; }", speed)
    ready(page, timeout)


def drawn_paths(page) -> dict[int, tuple[list[float], list[float]]]:
    return {run: (x, y) for run, x, y in page.evaluate(PATHS)}


def full_paths(page):
    return page.evaluate("() => window.optiviz.model.result.runs.map(r => [r.x, r.y])")


def sent_request(page) -> dict:
    return page.evaluate("() => window.optiviz.model.result.request")


def api(base: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def api_runs(base: str, request: dict) -> list[dict]:
    body = {k: v for k, v in request.items() if k != "include_state"}
    return api(base, "/api/v1/trajectories", body)["runs"]


def decode_png(data_url: str) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGBA bytes) of an 8-bit RGB(A) PNG data URL."""
    raw = base64.b64decode(data_url.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(raw):
        n, kind = struct.unpack(">I4s", raw[pos : pos + 8])
        chunk = raw[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 4 if color == 6 else 3
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    data = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for r in range(height):
        f = data[r * (stride + 1)]
        line = bytearray(data[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(
            bytes(line) if bpp == 4 else bytes(b for k in range(width) for b in (*line[k * 3 : k * 3 + 3], 255))
        )
        prev = line
    return width, height, rows
