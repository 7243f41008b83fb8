"""The image without Docker: stage exactly what the Dockerfile copies (after .dockerignore) into an
empty directory standing for the image's root, install it the way the Dockerfile does into a fresh
virtual environment, start the Dockerfile's CMD with the Dockerfile's ENV from its WORKDIR, and use
the app. A file missing from the image fails this test (and a control run proves it would)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.deploy.dockerfile import ROOT, Image, context_files, ignore_patterns, in_image, parse, stage
from tests.deploy.installed import clean_env, copy_kernels, installed
from tests.deploy.servers import free_port

pytestmark = pytest.mark.xdist_group("wheel")  # one worker builds, installs and replays (installed.py)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    img = parse()
    tmp = tmp_path_factory.mktemp("image")
    image_root = tmp / "root"
    image_root.mkdir()
    venv = tmp / "venv"  # stands for the image's Python (outside the staged files)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = clean_env()  # (NUMBA_CACHE_DIR too: this process's kernels are not the image's)
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    # the build's warm-up loads the kernels the wheel's install compiled (the same sources), rather
    # than compiling them again: this test is about what the image holds and serves
    stage(img, image_root, venv / "bin" / "python", env, before_python=lambda: copy_kernels(installed(), venv))
    return img, image_root, venv, env


def image_env(img: Image, image_root: Path, env: dict[str, str], port: int) -> dict[str, str]:
    """The Dockerfile's ENV, its absolute paths pointing into the staged root; loopback and a free port."""
    out = dict(env)
    for k, v in img.env.items():
        out[k] = str(in_image(image_root, v)) if v.startswith("/") else v
    out.update(OPTIVIZ_HOST="127.0.0.1", OPTIVIZ_PORT=str(port))
    return out


def start(img: Image, image_root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        img.cmd,
        cwd=in_image(image_root, img.workdir),
        env=image_env(img, image_root, env, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200:
                return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("the image's command did not come up:\n" + proc.stdout.read().decode()[-3000:])
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def get(url: str):
    return urllib.request.urlopen(url, timeout=30)


def page_assets(html: str) -> set[str]:
    """Relative asset URLs a page loads (src=, href=)."""
    return {u for u in re.findall(r'(?:src|href)="([^"#:]+)"', html) if not u.startswith("/")}


def post_json(url: str, body: object):
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    return urllib.request.urlopen(req, timeout=30)


def test_context_is_only_what_the_image_needs():
    files = context_files(ignore_patterns())
    needed = {"pyproject.toml", "setup.py", "README.md", "app/main.py", "optiviz/_server.py", "templates/index.html"}
    assert needed <= files
    assert not any(f.startswith((".git/", ".venv/", "tests/", "bench/")) or "__pycache__" in f for f in files)


def test_image_serves_the_app(image):
    img, image_root, venv, env = image
    proc, base = start(img, image_root, env)
    try:
        assert json.load(get(f"{base}/healthz")) == {"status": "ok"}
        pages = {"": get(f"{base}/").read().decode()}
        if (in_image(image_root, img.workdir) / "templates" / "lessons.html").exists():
            pages["lessons"] = get(f"{base}/lessons").read().decode()
        assets = set().union(*(page_assets(html) for html in pages.values()))
        assert "static/js/main.js" in assets and "static/vendor/plotly.min.js" in assets
        # every file under static/ in the source tree is served (a .dockerignore slip would show here)
        assets |= {
            f"static/{p.relative_to(ROOT / 'static').as_posix()}"
            for p in (ROOT / "static").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        for asset in sorted(assets):  # resolved against the page, as a browser does
            assert get(urljoin(f"{base}/", asset)).status == 200, asset
        assert get(f"{base}/docs").status == 200 and get(f"{base}/openapi.json").status == 200
        body = json.load(
            post_json(f"{base}/api/v1/trajectories", {"surface": "booth", "steps": 5, "runs": [{"optimizer": "adam"}]})
        )
        assert len(body["runs"][0]["x"]) == 6
        if "/api/v1/ewa" in json.load(get(f"{base}/openapi.json"))["paths"]:  # package data (the shipped series)
            assert json.load(post_json(f"{base}/api/v1/ewa", {"betas": [0.9]}))["series"]
        # the HEALTHCHECK command, run as Docker would (exec form, the image's environment)
        check = json.loads(img.healthcheck.split(" CMD ", 1)[1])
        port = base.rsplit(":", 1)[1]
        r = subprocess.run(
            check,
            env=image_env(img, image_root, env, int(port)),
            capture_output=True,
            timeout=10,
            cwd=in_image(image_root, img.workdir),
        )
        assert r.returncode == 0, r.stderr
        # what serves is the installed package (optiviz.server), not a copy of the sources; no top-level `app`
        installed = subprocess.run(
            [str(venv / "bin/python"), "-c", "import optiviz.server.main as m; print(m.__file__)"],
            cwd="/",
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        assert installed.startswith(str(venv))
        assert subprocess.run([str(venv / "bin/python"), "-c", "import app"], cwd="/", env=env).returncode != 0
    finally:
        stop(proc)


def test_a_file_missing_from_the_image_fails(image):
    """Control: the same image without one template (package data of the installed server) does not
    serve its page."""
    img, image_root, venv, env = image
    (template,) = venv.glob("lib/python*/site-packages/optiviz/server/templates/index.html")
    hidden = template.with_name("index.html.hidden")
    template.rename(hidden)
    try:
        try:
            proc, base = start(img, image_root, env)
        except RuntimeError:
            return  # refused to start: a failure, as wanted
        try:
            with pytest.raises(urllib.error.HTTPError):
                get(f"{base}/")
        finally:
            stop(proc)
    finally:
        hidden.rename(template)
