"""optiviz run REQUEST.json: the API's answer without a server."""

import json
import subprocess
import sys

from app.cli import main

BODY = {
    "surface": "linear_regression",
    "steps": 40,
    "seed": 2,
    "runs": [
        {"optimizer": "adam", "params": {"lr": 0.1}, "batch_size": 64},
        {"optimizer": "gd", "params": {"lr": 0.001}},
    ],
}


def test_run_json_equals_the_api(client, tmp_path, capsysbinary) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps(BODY))
    assert main(["run", str(req)]) == 0
    out = capsysbinary.readouterr().out
    assert json.loads(out) == client.post("/api/v1/trajectories", json=BODY).json()


def test_run_csv(tmp_path, capsys) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps(BODY))
    assert main(["run", str(req), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[0] == "run,label,optimizer,t,x,y,loss,lr,grad_norm,batch_loss"
    assert len(lines) == 1 + 2 * 41
    assert lines[1].startswith("0,Adam,adam,0,0.0,-4.0,")


def test_bad_request_exits_2_and_names_the_field(tmp_path, capsys) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": {"lrr": 1}}]}))
    assert main(["run", str(req)]) == 2
    assert "lrr" in capsys.readouterr().err
    req.write_text("{nope")
    assert main(["run", str(req)]) == 2
    assert main(["run", str(tmp_path / "missing.json")]) == 2


def test_as_a_command_reading_stdin() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", "-"],
        input=json.dumps(BODY),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(json.loads(out)["runs"]) == 2
