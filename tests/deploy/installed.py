"""The wheel as a user installs it, made once for the deploy tests: built from the repository,
installed (not editable) into an environment of its own, its kernels compiled there by
``optiviz warmup`` (in the default place, the environment's ``var/optiviz-kernels``).

How it is installed, and why. The wheel goes in with ``pip install --no-deps``; the environment
finds the dependencies (FastAPI, numba, ...) through one .pth file that names the development
environment's site-packages. Installing them from the index would take minutes and need the
network; ``--system-site-packages`` would give the base interpreter's packages, which lack them. A
.pth line only appends that directory to sys.path: the development environment's own .pth files
(its editable install of this source tree, which provides ``app``) are not run, so the only
optiviz the test environment can import is the wheel's, and ``import app`` fails there as it does
for any user.

Once. The environment lives at a fixed path per source tree (in the temporary directory), under a
lock, and is rebuilt only when a file the wheel is built from changed (numba's cache is keyed by
the installed files' paths and times, so a reinstall recompiles): every test that needs it, in
every pytest worker, shares one build, one install and one compile. `copy_kernels` gives another
installation of the same sources (the image's) these compiled kernels, so a test that is not about
compiling does not compile them again.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.servers import ROOT

# what the wheel is built from: the files the Dockerfile copies
SOURCES = ("pyproject.toml", "setup.py", "README.md", "app", "optiviz", "static", "templates")
HOME = Path(tempfile.gettempdir()) / f"optiviz-wheel-{os.getuid()}-{hashlib.sha1(bytes(ROOT)).hexdigest()[:10]}"
KERNELS = "var/optiviz-kernels"  # the default place of the compiled kernels in an environment (kernels.cache_root)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def purelib(self) -> Path:
        return site_packages(self.venv)

    @property
    def kernels(self) -> Path:
        return self.venv / KERNELS


def site_packages(venv: Path) -> Path:
    (purelib,) = venv.glob("lib/python*/site-packages")
    return purelib


def clean_env() -> dict[str, str]:
    """This process's environment without what would point the installed optiviz elsewhere."""
    drop = ("OPTIVIZ_", "NUMBA_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _source_files() -> list[Path]:
    files = []
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
        else:
            files.append(path)
    return sorted(files)


def _digest() -> str:
    h = hashlib.sha256()
    for p in _source_files():
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _build(dist: Path) -> Path:
    """The wheel, built from a copy of the sources (setuptools leaves build/ in the tree it builds)."""
    src = HOME / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(dist, ignore_errors=True)
    for p in _source_files():
        target = src / p.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, target)
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = dist.glob("optiviz-*.whl")
    return wheel


@functools.cache
def installed() -> Installed:
    """The wheel of these sources, installed and its kernels compiled (once; see the docstring)."""
    HOME.mkdir(exist_ok=True)
    dist, env, done = HOME / "dist", HOME / "venv", HOME / "installed"
    with open(HOME / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the others wait for it and reuse it
        digest = _digest()
        if done.exists() and done.read_text() == digest:
            (wheel,) = dist.glob("optiviz-*.whl")
            return Installed(wheel, env)
        done.unlink(missing_ok=True)
        wheel = _build(dist)
        if not (env / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
        deps = site_packages(env) / "optiviz-test-deps.pth"
        deps.unlink(missing_ok=True)  # pip sees only this environment (the development one has an optiviz too)
        shutil.rmtree(env / KERNELS, ignore_errors=True)  # compiled for the files replaced now
        subprocess.run(
            [str(env / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
            check=True,
            env=clean_env(),
            timeout=300,
        )
        deps.write_text("\n".join(site.getsitepackages()) + "\n")
        r = subprocess.run(
            [str(env / "bin/optiviz"), "warmup"], cwd=HOME, env=clean_env(), capture_output=True, text=True, timeout=900
        )
        assert r.returncode == 0, r.stdout + r.stderr
        done.write_text(digest)
        return Installed(wheel, env)


def _numba_dir(directory: Path) -> str:
    """The folder numba's cache keeps the kernels of the modules in ``directory`` in (its
    _UserProvidedCacheLocator: the folder's name and a hash of its absolute path)."""
    return f"{directory.name}_{hashlib.sha1(str(directory).encode()).hexdigest()}"


def copy_kernels(source: Installed, venv: Path) -> int:
    """Give ``venv``, where the same package was installed, ``source``'s compiled kernels: each
    folder of the cache renamed for the new place of its modules, and each module given its
    source's modification time (numba's index holds the time and size of the file it compiled).
    Returns how many folders were copied."""
    src_lib, dst_lib = source.purelib, site_packages(venv)
    by_name = {_numba_dir(d): d.relative_to(src_lib) for d in (src_lib / "optiviz").rglob("*") if d.is_dir()}
    for src_file in (src_lib / "optiviz").rglob("*.py"):
        dst_file = dst_lib / src_file.relative_to(src_lib)
        st = src_file.stat()
        if dst_file.is_file() and dst_file.stat().st_size == st.st_size:
            os.utime(dst_file, ns=(st.st_atime_ns, st.st_mtime_ns))
    copied = 0
    for version in source.kernels.iterdir():  # one folder per hash of the engine's sources
        for folder in version.iterdir():
            if folder.name in by_name:
                shutil.copytree(folder, venv / KERNELS / version.name / _numba_dir(dst_lib / by_name[folder.name]))
                copied += 1
    return copied
