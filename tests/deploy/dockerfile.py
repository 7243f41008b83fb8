"""Read the Dockerfile the way `docker build` would, for tests that prove the image without Docker."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Image:
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, destination relative to workdir)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    user: str = ""
    healthcheck: str = ""


def instructions(text: str) -> list[tuple[str, str]]:
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buf += line.rstrip("\\").strip() + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            word, _, rest = buf.partition(" ")
            out.append((word.upper(), rest.strip()))
            buf = ""
    return out


def parse(path: Path = ROOT / "Dockerfile") -> Image:
    img = Image()
    for word, rest in instructions(path.read_text()):
        if word == "ENV":
            for pair in shlex.split(rest):
                k, _, v = pair.partition("=")
                img.env[k] = v
        elif word == "WORKDIR":
            img.workdir = rest
        elif word == "COPY":
            parts = shlex.split(rest)
            *sources, dest = parts
            img.copies += [(s, dest) for s in sources]
        elif word == "RUN":
            img.runs.append(rest)
        elif word == "CMD":
            img.cmd = json.loads(rest)
        elif word == "USER":
            img.user = rest
        elif word == "HEALTHCHECK":
            img.healthcheck = rest
    return img
