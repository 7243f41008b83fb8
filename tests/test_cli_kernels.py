"""`optiviz serve` on a fresh install compiles the engine's kernels before it listens, and says so;
with the cache filled it starts at once; `optiviz warmup` compiles (or loads) them on demand."""

import uvicorn

import app.engine.kernels as kernels
from app.cli import main


def test_serve_compiles_first_on_an_empty_cache(monkeypatch, tmp_path, capsys) -> None:
    started = []  # (what uvicorn was asked to serve, what the command had said by then)
    monkeypatch.setattr(kernels, "CACHE_DIR", tmp_path / "empty")
    monkeypatch.setattr(uvicorn, "run", lambda target, **_: started.append((target, capsys.readouterr().err)))
    assert main(["serve", "--port", "1"]) == 0
    ((target, said),) = started
    assert target == "app.main:app"
    assert "compiling the engine's kernels" in said and "(a minute or more, once)" in said
    assert "kernels ready (compiled)" in said


def test_serve_starts_at_once_with_the_cache_filled(monkeypatch, capsys) -> None:
    started = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **_: started.append(target))
    assert main(["warmup"]) == 0  # fills the cache if it is not yet
    assert "kernels ready (compiled)" in capsys.readouterr().err
    assert main(["serve", "--port", "1"]) == 0
    assert started == ["app.main:app"] and "kernels" not in capsys.readouterr().err
