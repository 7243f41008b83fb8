"""optiviz train NETWORK.json: the API's network answer without a server, as JSON, CSV or a figure."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import optiviz._server
from app.cli import main

BODY = {
    "data": {"name": "xor", "samples": 80, "seed": 1},
    "model": {"hidden": [4], "activation": "tanh"},
    "epochs": 6,
    "runs": [
        {"optimizer": "adam", "params": {"lr": 0.05}, "batch_size": 20},
        {"optimizer": "gd", "params": {"lr": 0.5}, "label": "GD, full batch"},
    ],
    "plane": {"kind": "pca", "n": 5},
}


def test_train_json_equals_the_api(client, tmp_path, capsysbinary) -> None:
    req = tmp_path / "net.json"
    req.write_text(json.dumps(BODY))
    assert main(["train", str(req)]) == 0
    out = capsysbinary.readouterr().out
    assert out == client.post("/api/v1/networks", json=BODY).content + b"\n"


def test_train_csv_one_row_per_run_and_epoch(client, tmp_path, capsys) -> None:
    req = tmp_path / "net.json"
    req.write_text(json.dumps(BODY))
    assert main(["train", str(req), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    header = ["run", "label", "optimizer", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    assert rows[0] == header
    assert len(rows) == 1 + 2 * 7
    api = client.post("/api/v1/networks", json=BODY).json()["runs"]
    assert rows[8][:4] == ["1", "GD, full batch", "gd", "0"]
    assert float(rows[14][4]) == api[1]["train_loss"][6]
    assert float(rows[3][7]) == api[0]["test_accuracy"][2]


def test_train_html_writes_the_figure(tmp_path, capsys) -> None:
    """The `optiviz` command (the Python API's entry point) writes the figure as one HTML page."""
    req, page = tmp_path / "net.json", tmp_path / "figure.html"
    req.write_text(json.dumps(BODY))
    assert optiviz._server.main(["train", str(req), "--html", str(page)]) == 0
    assert "wrote the figure" in capsys.readouterr().err
    html = page.read_text(encoding="utf-8")
    assert "<html>" in html[:40] and "plotly" in html and "GD, full batch" in html
    assert "train loss on the pca plane" in html


def test_train_html_needs_the_optiviz_command(tmp_path, capsys) -> None:
    """The server's own command line (python -m app.cli) has no figure: it says how to get one."""
    req = tmp_path / "net.json"
    req.write_text(json.dumps(BODY))
    assert main(["train", str(req), "--html", str(tmp_path / "f.html")]) == 2
    assert "`optiviz` command" in capsys.readouterr().err
    assert not (tmp_path / "f.html").exists()


def test_bad_network_request_exits_2_and_names_the_field(tmp_path, capsys) -> None:
    req = tmp_path / "net.json"
    req.write_text(json.dumps({**BODY, "model": {"hidden": [4], "activation": "gelu"}}))
    assert main(["train", str(req)]) == 2
    err = capsys.readouterr().err
    assert "invalid request" in err and "model.activation" in err
    req.write_text("{")
    assert main(["train", str(req)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "missing.json")]) == 2


def test_train_reads_stdin(client) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "train", "-", "--format", "csv"],
        input=json.dumps(BODY),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1 + 2 * 7
