"""The wheel, as a new user gets it: built from the repository, installed (not editable) into a
fresh virtual environment, `optiviz serve` started from another folder; the studio page, a script,
the lessons page, the message catalogue, a lesson's data and an answer are fetched and checked.

How it is installed, and why. The wheel goes in with ``pip install --no-deps``; the environment
finds the dependencies (FastAPI, numba, ...) through one .pth file that names the development
environment's site-packages. Installing them from the index would take minutes and need the
network; ``--system-site-packages`` would give the base interpreter's packages, which lack them. A
.pth line only appends that directory to sys.path: the development environment's own .pth files
(its editable install of this source tree, which provides ``app``) are not run, so the only
optiviz the test environment can import is the wheel's, and ``import app`` fails there as it does
for any user.

The kernels. numba's cache is keyed by the installed files' directory and content, so the
environment lives at a fixed path per source tree (in the temporary directory) and is reused: the
wheel is rebuilt and reinstalled each run, and its kernels, in the default place (the
environment's ``var/optiviz-kernels``), are compiled by the first run only (the server says so
before it listens; this test checks that it does) and loaded by the next ones.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.deploy.servers import ROOT, free_port, stop

pytestmark = pytest.mark.serial

# what the wheel is built from: the files the Dockerfile copies
SOURCES = ("pyproject.toml", "setup.py", "README.md", "app", "optiviz", "static", "templates")
BODY = {"surface": "booth", "steps": 12, "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}]}
COMPILING = "compiling the engine's kernels"


def _clean_env() -> dict[str, str]:
    """This process's environment without what would point the installed optiviz elsewhere."""
    drop = ("OPTIVIZ_", "NUMBA_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (setuptools leaves build/ in the tree it builds)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    dist = tmp / "dist"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = dist.glob("optiviz-*.whl")
    return wheel


@pytest.fixture(scope="module")
def venv(built: Path) -> Iterator[Path]:
    """The wheel installed into an environment of its own (reused across runs, see the docstring)."""
    home = Path(tempfile.gettempdir()) / f"optiviz-wheel-{os.getuid()}-{hashlib.sha1(bytes(ROOT)).hexdigest()[:10]}"
    home.mkdir(exist_ok=True)
    with open(home / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one run at a time in this environment
        env = home / "venv"
        if not (env / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
        (purelib,) = env.glob("lib/python*/site-packages")
        deps = purelib / "optiviz-test-deps.pth"
        deps.unlink(missing_ok=True)  # pip sees only this environment (the development one has an optiviz too)
        subprocess.run(
            [str(env / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(built)],
            check=True,
            env=_clean_env(),
            timeout=300,
        )
        deps.write_text("\n".join(site.getsitepackages()) + "\n")
        yield env


def test_the_wheel_holds_one_package_with_its_data(built: Path) -> None:
    names = zipfile.ZipFile(built).namelist()
    assert {n.split("/")[0] for n in names} == {"optiviz", built.name.split("-py")[0] + ".dist-info"}  # no `app`
    # every file the server reads besides its code, at its place inside optiviz/server
    data = [
        (ROOT / "static", "optiviz/server/static"),
        (ROOT / "templates", "optiviz/server/templates"),
        (ROOT / "app/lessons/data", "optiviz/server/lessons/data"),
        (ROOT / "app/i18n", "optiviz/server/i18n"),
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
        [str(venv / "bin/python"), "-c", code], cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=600
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


def _wait_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Poll until the server answers (it compiles its kernels first on a cold cache)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{url} did not come up:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def test_served_from_another_folder(venv: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # no app/, static/ or templates/ here, and not the source tree
    elsewhere.mkdir()
    where = _run(
        venv, "import optiviz._server as s, optiviz.server.engine.kernels as k; print(s.NAME, k.CACHE_DIR)", elsewhere
    )
    assert where.returncode == 0, where.stderr
    name, cache = where.stdout.split()
    assert name == "optiviz.server" and Path(cache).is_relative_to(venv)  # the default place, in the environment
    assert _run(venv, "import app", elsewhere).returncode != 0  # the wheel shadows no other project's `app`
    cold = not any(Path(cache).rglob("*.nbi"))

    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(venv / "bin/optiviz"), "serve", "--port", str(port)],
            cwd=elsewhere,
            env={**_clean_env(), "OPTIVIZ_LOG_LEVEL": "warning"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{base}/healthz", proc, log, timeout=900 if cold else 120)
        # the first start of a fresh install compiles the kernels, and says so; later starts load them
        assert (COMPILING in log.read_text()) == cold, log.read_text()
        assert any(Path(cache).rglob("*.nbi"))

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
