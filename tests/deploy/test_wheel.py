"""The wheel, as a new user gets it: built from the repository, installed (not editable) into a
fresh virtual environment, `optiviz serve` started from another folder; the studio page, a script,
the lessons page, the message catalogue, a lesson's data and an answer are fetched and checked.
How it is built and installed, once for all the deploy tests: tests/deploy/installed.py.

The kernels. The install compiles them with `optiviz warmup` into the default place (the
environment's ``var/optiviz-kernels``), where the server loads them. A server on an empty cache
compiles them before it listens, and says so: checked on a cache of its own, stopped once it said
so (the compile itself is the warm-up's, run by the install).
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.deploy.installed import Installed, clean_env, installed
from tests.deploy.servers import ROOT, free_port, stop

pytestmark = pytest.mark.xdist_group("wheel")  # one worker builds, installs and replays (installed.py)

BODY = {"surface": "booth", "steps": 12, "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}]}
COMPILING = "compiling the engine's kernels"


@pytest.fixture(scope="module")
def wheel() -> Installed:
    return installed()


def test_the_wheel_holds_one_package_with_its_data(wheel: Installed) -> None:
    built = wheel.wheel
    names = zipfile.ZipFile(built).namelist()
    assert {n.split("/")[0] for n in names} == {"optiviz", built.name.split("-py")[0] + ".dist-info"}  # no `app`
    # every file the server reads besides its code, at its place inside optiviz/server
    data = [
        (ROOT / "static", "optiviz/server/static"),
        (ROOT / "templates", "optiviz/server/templates"),
        (ROOT / "app/lessons/data", "optiviz/server/lessons/data"),
        (ROOT / "app/i18n", "optiviz/server/i18n"),
        (ROOT / "app/engine/data", "optiviz/server/engine/data"),
    ]
    for tree, inside in data:
        files = [p for p in tree.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
        assert files, tree
        for p in files:
            assert f"{inside}/{p.relative_to(tree).as_posix()}" in names, p
    # and every module of the server, templates of the export included, whether in a package or not
    for p in (ROOT / "app").rglob("*.py"):
        assert f"optiviz/server/{p.relative_to(ROOT / 'app').as_posix()}" in names, p
    entry = zipfile.ZipFile(built).read(built.name.split("-py")[0] + ".dist-info/entry_points.txt").decode()
    assert "optiviz = optiviz._server:main" in entry


def _run(venv: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin/python"), "-c", code], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=600
    )


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return resp.status, resp.read()


def _post(url: str, body: object) -> bytes:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return bytes(resp.read())


def _serve(venv: Path, cwd: Path, log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """`optiviz serve` of the installed package on a free port, its output in ``log``."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(venv / "bin/optiviz"), "serve", "--port", str(port)],
            cwd=cwd,
            env={**clean_env(), "OPTIVIZ_LOG_LEVEL": "warning", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, f"http://127.0.0.1:{port}"


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
    except OSError:
        return False
    return True


def _await(ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, timeout: float, what: str) -> None:
    """Poll until ``ready()``; fail if the server exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what}, not seen:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def test_a_fresh_cache_is_compiled_before_the_server_listens(wheel: Installed, tmp_path: Path) -> None:
    """The first start of a fresh install compiles the kernels before it listens, and says where:
    seen on a cache of its own (left once it said so; the compile is the install's warm-up)."""
    cache, log = tmp_path / "kernels", tmp_path / "serve.log"
    proc, base = _serve(wheel.venv, tmp_path, log, OPTIVIZ_KERNEL_CACHE=str(cache))
    try:
        _await(lambda: COMPILING in log.read_text() or _up(base), proc, log, 120, "the compiling message")
        assert COMPILING in log.read_text() and str(cache) in log.read_text(), log.read_text()
        assert not _up(base)  # still compiling: not listening yet
    finally:
        stop(proc)


def test_served_from_another_folder(wheel: Installed, tmp_path: Path) -> None:
    venv = wheel.venv
    elsewhere = tmp_path / "elsewhere"  # no app/, static/ or templates/ here, and not the source tree
    elsewhere.mkdir()
    where = _run(
        venv, "import optiviz._server as s, optiviz.server.engine.kernels as k; print(s.NAME, k.CACHE_DIR)", elsewhere
    )
    assert where.returncode == 0, where.stderr
    name, cache = where.stdout.split()
    assert name == "optiviz.server" and Path(cache).is_relative_to(venv)  # the default place, in the environment
    assert _run(venv, "import app", elsewhere).returncode != 0  # the wheel shadows no other project's `app`
    assert any(Path(cache).rglob("*.nbi"))  # compiled there by the install's `optiviz warmup`

    log = tmp_path / "serve.log"
    proc, base = _serve(venv, elsewhere, log)
    try:
        _await(lambda: _up(base), proc, log, 120, f"{base} up")
        assert COMPILING not in log.read_text(), log.read_text()  # a start after the warm-up loads them

        status, page = _get(f"{base}/")
        assert status == 200 and b"<title" in page and b'src="static/js/main.js"' in page  # the studio
        assert _get(f"{base}/static/js/main.js") == (200, (ROOT / "static/js/main.js").read_bytes())
        status, lessons = _get(f"{base}/lessons")
        assert status == 200 and b'src="static/js/lessons.js"' in lessons
        zh = json.loads(_get(f"{base}/api/v1/messages?lang=zh")[1])  # the catalogue (package data)
        assert zh["lang"] == "zh" and zh["messages"]
        ewa = json.loads(_post(f"{base}/api/v1/ewa", {"betas": [0.9]}))  # a lesson's shipped series
        assert ewa["series"]

        # the same answer as the source tree's engine gives (in this process, as `optiviz run` does)
        from app.cli import answer

        got = json.loads(_post(f"{base}/api/v1/trajectories", BODY))
        assert len(got["runs"][0]["x"]) == BODY["steps"] + 1
        assert got == json.loads(orjson.dumps(answer(BODY), option=orjson.OPT_SERIALIZE_NUMPY))
    finally:
        stop(proc)

    # the Python API of the installed package, from another folder too
    api = _run(
        venv,
        f"import optiviz; r = optiviz.run(**{BODY!r}).runs[0]; print(r.steps_taken, repr(float(r.x[-1])))",
        elsewhere,
    )
    assert api.returncode == 0, api.stderr
    assert api.stdout.split() == [str(BODY["steps"]), repr(got["runs"][0]["x"][-1])]
