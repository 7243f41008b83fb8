"""The image without Docker: stage exactly what the Dockerfile copies, install it as the Dockerfile
does into a fresh virtual environment, start its CMD, and use the app. A file missing from the
image fails this test."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.deploy.dockerfile import ROOT, parse


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    img = parse()
    stage = tmp_path_factory.mktemp("image")
    for src, dest in img.copies:
        target = stage / dest if not dest.endswith("/") or dest in ("./",) else stage / dest / Path(src).name
        if dest in (".", "./"):
            target = stage / Path(src).name
        source = ROOT / src
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    venv = stage / ".image-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ)
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    for run in img.runs:
        if run.startswith("pip "):  # the Dockerfile's install step, in the fresh environment
            subprocess.run(run.replace("pip ", f"{venv / 'bin' / 'python'} -m pip ", 1) + " -q", shell=True,
                           cwd=stage, env=env, check=True)
    return img, stage, env


def test_image_serves_the_app(image):
    img, stage, env = image
    port = _free_port()
    env = {**env, **img.env, "OPTIVIZ_ROOT": str(stage), "OPTIVIZ_PORT": str(port), "OPTIVIZ_HOST": "127.0.0.1",
           "OPTIVIZ_WORKERS": "1"}
    # run from an unrelated directory so nothing is picked up from the source tree
    proc = subprocess.Popen(img.cmd, cwd=stage, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                assert json.load(urllib.request.urlopen(f"{base}/healthz", timeout=2)) == {"status": "ok"}
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.time() < deadline, "the image's command did not come up"
                time.sleep(0.2)
        page = urllib.request.urlopen(f"{base}/").read().decode()
        assert "static/js/main.js" in page
        for asset in ("static/js/main.js", "static/css/app.css", "static/vendor/plotly.min.js"):
            assert urllib.request.urlopen(f"{base}/{asset}").status == 200
        req = urllib.request.Request(f"{base}/api/v1/trajectories", method="POST",
                                     data=json.dumps({"surface": "booth", "steps": 5, "runs": [{"optimizer": "adam"}]}).encode(),
                                     headers={"content-type": "application/json"})
        body = json.load(urllib.request.urlopen(req))
        assert len(body["runs"][0]["x"]) == 6
        # the package that serves is the installed one, not the source tree
        installed = subprocess.run([str(stage / ".image-venv/bin/python"), "-c", "import app; print(app.__file__)"],
                                   cwd="/", capture_output=True, text=True, env=env).stdout
        assert ".image-venv" in installed
    finally:
        proc.terminate()
        proc.wait(15)
