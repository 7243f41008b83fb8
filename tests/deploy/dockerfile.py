"""Read the Dockerfile (and .dockerignore) the way `docker build` would, for tests that prove the
image without a Docker engine.

`stage()` replays the build into a directory that stands for the image's root: every COPY with
Docker's semantics (a directory's *contents* go to the destination, a file goes into a
destination that ends with ``/``, paths relative to the WORKDIR of the moment), filtered by
.dockerignore with moby's rules (``*`` stays within one path segment, ``**`` spans any number,
``!`` re-includes, the last matching pattern wins, a pattern that matches a parent directory
matches everything under it), and every ``pip``, ``python`` or installed-command RUN step in a
given Python environment.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Image:
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (instruction, arguments, workdir then)
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, destination as written)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    user: str = ""
    healthcheck: str = ""


def instructions(text: str) -> list[tuple[str, str]]:
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        continued = line.rstrip().endswith("\\")
        buf += line.rstrip().rstrip("\\").strip() + " " if continued else line.strip()
        if not continued:
            word, _, rest = buf.partition(" ")
            out.append((word.upper(), rest.strip()))
            buf = ""
    return out


def _copy_args(rest: str) -> list[str]:
    parts = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    return [p for p in parts if not p.startswith("--")]  # --chown, --chmod, --link: no effect on content


def parse(path: Path = ROOT / "Dockerfile") -> Image:
    img = Image()
    for word, rest in instructions(path.read_text()):
        if word == "ENV":
            for pair in shlex.split(rest):
                k, _, v = pair.partition("=")
                img.env[k] = v
        elif word == "WORKDIR":
            img.workdir = str(PurePosixPath(img.workdir) / rest)
        elif word in ("COPY", "ADD"):
            *sources, dest = _copy_args(rest)
            img.copies += [(s, dest) for s in sources]
            img.steps.append(("COPY", rest, img.workdir))
        elif word == "RUN":
            img.runs.append(rest)
            img.steps.append(("RUN", rest, img.workdir))
        elif word == "CMD":
            img.cmd = json.loads(rest)
        elif word == "USER":
            img.user = rest
        elif word == "HEALTHCHECK":
            img.healthcheck = rest
    return img


# --- .dockerignore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IgnorePattern:
    regex: re.Pattern[str]
    exclusion: bool  # a "!" line: re-include
    text: str = ""

    def could_match_under(self, directory: str) -> bool:
        """Whether this pattern might match some path inside ``directory`` (to prune the walk)."""
        segs, dirs = self.text.split("/"), directory.split("/")
        for i, d in enumerate(dirs):
            if i >= len(segs) or "**" in segs[i]:
                return i < len(segs)
            if not fnmatch.fnmatchcase(d, segs[i]):
                return False
        return len(segs) > len(dirs)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """moby/patternmatcher's translation of one pattern to a regular expression."""
    out, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                out += ".*" if i + 1 >= len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch in ".+()|{}$^":
            out += "\\" + ch
        else:
            out += ch
        i += 1
    return re.compile(out + "$")


def ignore_patterns(path: Path = ROOT / ".dockerignore") -> list[IgnorePattern]:
    if not path.exists():
        return []
    patterns = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        line = line[1:].strip() if exclusion else line
        line = os.path.normpath(line).lstrip("/")
        if line in (".", ""):
            continue
        patterns.append(IgnorePattern(_pattern_regex(line), exclusion, line))
    return patterns


def is_ignored(rel: str, patterns: list[IgnorePattern]) -> bool:
    """Whether the context path ``rel`` (posix, relative) is left out of the build context."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for p in patterns:
        if any(p.regex.match(prefix) for prefix in prefixes):
            ignored = not p.exclusion
    return ignored


def context_files(patterns: list[IgnorePattern], context: Path = ROOT) -> set[str]:
    """Every file of the build context (relative posix paths), after .dockerignore."""
    files = set()
    for dirpath, dirnames, filenames in os.walk(context):
        rel_dir = Path(dirpath).relative_to(context).as_posix()
        # prune ignored directories that no "!" pattern could re-include from (.git, .venv, ...)
        if (
            rel_dir != "."
            and is_ignored(rel_dir, patterns)
            and not any(p.exclusion and p.could_match_under(rel_dir) for p in patterns)
        ):
            dirnames[:] = []
            continue
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not is_ignored(rel, patterns):
                files.add(rel)
    return files


# --- replaying the build --------------------------------------------------------------------------


def in_image(image_root: Path, path: str) -> Path:
    """Where the image's absolute path ``path`` is in the staged image root."""
    return image_root / path.lstrip("/")


def _copy_step(rest: str, workdir: str, image_root: Path, context: set[str]) -> None:
    *sources, dest = _copy_args(rest)
    dest_abs = str(PurePosixPath(workdir) / dest)
    dest_is_dir = (
        dest.endswith("/")
        or dest in (".", "..")
        or dest.endswith("/.")
        or len(sources) > 1
        or in_image(image_root, dest_abs).is_dir()
    )
    for src in sources:
        src = os.path.normpath(src).lstrip("/")
        if src == ".":
            matched = sorted(context)
            base = ""
        else:
            # a source is a file or a directory of the context; a wildcard source is anchored at the
            # context root and matches within path segments (Go's filepath.Match)
            rx = _pattern_regex(src)
            tops = {"/".join(f.split("/")[: src.count("/") + 1]) for f in context}
            hits = {t for t in tops if rx.match(t)} if any(c in src for c in "*?[") else {src}
            matched = sorted(f for f in context for h in hits if f == h or f.startswith(h + "/"))
            if len(hits) > 1:  # several wildcard hits: each is copied as if named on its own
                for h in sorted(hits):
                    _copy_step(shlex.join([h, dest if dest_is_dir else dest + "/"]), workdir, image_root, context)
                continue
            src = next(iter(hits), src)
            base = src
        if not matched:
            raise FileNotFoundError(f"COPY {src}: not in the build context (missing, or left out by .dockerignore)")
        for f in matched:
            if f == base:  # a single file
                target = (
                    in_image(image_root, dest_abs) / PurePosixPath(f).name
                    if dest_is_dir
                    else in_image(image_root, dest_abs)
                )
            else:  # a directory's contents go into the destination
                inner = f[len(base) + 1 :] if base else f
                target = in_image(image_root, dest_abs) / inner
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, target)


def stage(
    img: Image, image_root: Path, python: Path, env: dict[str, str], before_python: Callable[[], object] | None = None
) -> None:
    """Replay the Dockerfile's COPY, pip and python RUN steps, in order, into ``image_root``.

    ``python`` is the interpreter of a fresh environment standing for the image's Python; pip runs
    with the image's ENV, except that pip's cache is allowed (it changes the speed, not the result).
    ``before_python`` runs before each Python step (e.g. to give the warm-up kernels compiled
    already, which changes the speed, not the result).
    """
    context = context_files(ignore_patterns())
    run_env = {**env, **img.env}
    run_env.pop("PIP_NO_CACHE_DIR", None)
    for word, rest, workdir in img.steps:
        cwd = in_image(image_root, workdir)
        cwd.mkdir(parents=True, exist_ok=True)
        if word == "COPY":
            _copy_step(rest, workdir, image_root, context)
        elif word == "RUN":
            args = shlex.split(rest)
            if args[:1] == ["pip"] or args[:3] in (["python", "-m", "pip"], ["python3", "-m", "pip"]):
                args = args[1:] if args[0] == "pip" else args[3:]
                args = [a for a in args if a != "--no-cache-dir"]
                subprocess.run([str(python), "-m", "pip", *args, "-q"], cwd=cwd, env=run_env, check=True)
            elif args[:1] in (["python"], ["python3"]) or (args and (python.parent / args[0]).is_file()):
                # a Python step of the build (the kernels' warm-up): its first command, with the
                # image's Python or a command the install put beside it (`optiviz warmup`); what
                # follows `&&` (chown, ...) changes the system, not the app
                first = args[: args.index("&&")] if "&&" in args else args
                if before_python:
                    before_python()
                exe = python if first[0] in ("python", "python3") else python.parent / first[0]
                subprocess.run([str(exe), *first[1:]], cwd=cwd, env=run_env, check=True)
            # other RUN steps (useradd, ...) change the system, not the app's files
