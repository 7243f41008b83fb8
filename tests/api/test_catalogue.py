"""GET /healthz and the catalogue: fields as the contract names them, fed by the registry."""

from app.registry import OPTIMIZERS, SCHEDULES, SURFACES


def test_health(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_surfaces(client) -> None:
    body = client.get("/api/v1/surfaces").json()
    assert [s["id"] for s in body] == list(SURFACES)
    for s in body:
        for key in ("id", "name", "description", "formula", "x_range", "y_range", "minima", "default_start"):
            assert key in s
    datasets = [s for s in body if s["kind"] == "dataset"]
    assert {s["id"] for s in datasets} == {"linear_regression", "logistic_regression"}
    assert all("description" in s["dataset"] for s in datasets)


def test_optimizers_have_the_contract_params_and_defaults(client) -> None:
    body = {o["id"]: o for o in client.get("/api/v1/optimizers").json()}
    assert list(body) == list(OPTIMIZERS)
    defaults = {o: {p["name"]: p["default"] for p in body[o]["params"]} for o in body}
    assert defaults["momentum"] == {**defaults["momentum"], "beta": 0.9, "variant": "ewa", "bias_correction": False}
    assert defaults["adagrad"]["eps"] == 1e-10 and defaults["adagrad"]["initial_accumulator"] == 0
    assert defaults["rmsprop"]["beta"] == 0.9 and defaults["rmsprop"]["eps"] == 1e-8
    assert defaults["adadelta"] == {"lr": 1.0, "rho": 0.9, "eps": 1e-6}
    for adam in ("adam", "adamw"):
        d = defaults[adam]
        assert (d["beta1"], d["beta2"], d["eps"], d["bias_correction"], d["amsgrad"]) == (0.9, 0.999, 1e-8, True, False)
    assert defaults["adamw"]["weight_decay"] == 0.01
    for o in body.values():
        assert o["formula"] and o["name"]
        for p in o["params"]:
            assert set(p) >= {"name", "default", "min", "max", "description"}


def test_schedules(client) -> None:
    body = {s["id"]: s for s in client.get("/api/v1/schedules").json()}
    assert list(body) == list(SCHEDULES)
    names = {k: [p["name"] for p in v["params"]] for k, v in body.items()}
    assert names["cyclic"] == ["max_lr", "step_size_up", "mode", "gamma"]
    assert names["cosine_restarts"] == ["t_0", "t_mult", "eta_min"]
    assert names["polynomial"] == ["total_steps", "power"]
    assert names["multistep"] == ["milestones", "gamma"]


def test_page_and_local_plotly(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "static/vendor/plotly.min.js" in page.text and "cdn" not in page.text.lower()
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_docs_work_offline(client) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "static/swagger/swagger-ui-bundle.js" in docs.text
    assert "http" not in docs.text.split("<body>")[1].split("url:")[0]
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for p in ("/api/v1/trajectories", "/api/v1/trajectories/stream", "/api/v1/grid"):
        assert p in paths
    body = schema["components"]["schemas"]["TrajectoryRequest"]
    assert body["examples"] and body["properties"]["steps"]["maximum"] == 20000
    assert body["properties"]["runs"]["maxItems"] == 16


def test_security_headers(client) -> None:
    for path in ("/", "/healthz", "/api/v1/surfaces", "/static/vendor/plotly.min.js"):
        h = client.get(path).headers
        assert "default-src 'self'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"


def test_limits_are_published(client):
    from app.settings import get_settings

    body = client.get("/api/v1/limits").json()
    s = get_settings()
    assert body["max_runs"] == s.max_runs and body["max_steps"] == s.max_steps and body["max_grid"] == s.max_grid
    assert body["max_expression_length"] == s.max_expression_length
    assert body["max_warmup_steps"] == s.max_steps


def test_every_optimizer_has_its_own_colour(client):
    colours = [o["color"] for o in client.get("/api/v1/optimizers").json()]
    assert len(set(colours)) == len(colours)
    assert all(len(c) == 7 and c.startswith("#") for c in colours)


def test_catalogue_in_chinese_translates_texts_and_keeps_ids_and_numbers(client):
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    for kind in ("surfaces", "optimizers", "schedules"):
        en = client.get(f"/api/v1/{kind}").json()
        assert client.get(f"/api/v1/{kind}", params={"lang": "en"}).json() == en  # English unchanged, the default
        zh = client.get(f"/api/v1/{kind}", params={"lang": "zh"}).json()
        assert client.get(f"/api/v1/{kind}", headers={"accept-language": "zh-CN,zh;q=0.9"}).json() == zh
        for e, z in zip(en, zh, strict=True):
            assert e["id"] == z["id"] and e["formula"] == z["formula"]
            assert cjk.search(z["description"]), (kind, z["id"])
            assert not cjk.search(e["description"] + e["name"])
            for pe, pz in zip(e.get("params", []), z.get("params", []), strict=True):
                assert {k: v for k, v in pe.items() if k != "description"} == {
                    k: v for k, v in pz.items() if k != "description"
                }
                assert cjk.search(pz["description"]) or pz["description"] == pe["description"]
            if kind == "surfaces":
                assert {k: v for k, v in e.items() if k not in ("name", "description", "dataset")} == {
                    k: v for k, v in z.items() if k not in ("name", "description", "dataset")
                }


def test_catalogue_texts_are_written_once():
    """The registry's English is written once, in the registry: catalogue.json holds only the
    translations, each of a text the registry has, and every registry text is translated."""
    import json
    from pathlib import Path

    from app.i18n import catalogue, registry_english
    from app.registry import OPTIMIZERS, SCHEDULES, SURFACES

    texts = json.loads((Path(__file__).resolve().parents[2] / "app/i18n/catalogue.json").read_text(encoding="utf-8"))
    english = registry_english()
    for key, entry in texts.items():
        assert "en" not in entry, f"{key}: its English is the registry's; do not write it again"
        assert key in english, f"{key}: no such text in the registry"
        assert catalogue()[key]["en"] == english[key]
    for s in SURFACES.values():
        assert f"surface.{s.id}.name" in texts and f"surface.{s.id}.description" in texts
    for kind, reg in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
        for o in reg.values():
            assert f"{kind}.{o.id}.name" in texts and f"{kind}.{o.id}.description" in texts
            for p in o.params:
                key = (
                    f"{kind}.{o.id}.param.{p.name}"
                    if f"{kind}.{o.id}.param.{p.name}" in texts
                    else f"{kind}.param.{p.name}"
                )
                assert key in texts and english[key] == p.description, key


def test_surfaces_carry_their_default_runs(client) -> None:
    body = client.get("/api/v1/surfaces").json()
    for s in body:
        assert s["default_runs"] == [dict(r) for r in SURFACES[s["id"]].default_runs]
        assert s["default_runs"] and all("lr" in r["params"] for r in s["default_runs"])
        # every default run is a valid run of a trajectories request
        r = client.post("/api/v1/trajectories", json={"surface": s["id"], "steps": 2, "runs": s["default_runs"]})
        assert r.status_code == 200, r.text


def test_numeric_params_have_a_slider_range_apart_from_the_bounds(client) -> None:
    params = [p for o in client.get("/api/v1/optimizers").json() for p in o["params"]]
    params += [p for s in client.get("/api/v1/schedules").json() for p in s["params"]]
    for p in params:
        if p["type"] not in ("float", "int"):
            continue
        assert p["slider_scale"] in ("linear", "log")
        lo, hi = p["slider_min"], p["slider_max"]
        assert lo is not None and hi is not None and lo < hi
        assert (p["min"] is None or lo >= p["min"]) and (p["max"] is None or hi <= p["max"])
        if p["slider_scale"] == "log":
            assert lo > 0 or p["type"] == "int"
    steps = {p["name"]: p for s in client.get("/api/v1/schedules").json() for p in s["params"]}
    for name in ("step_size", "total_steps", "t_max", "t_0", "step_size_up"):
        assert steps[name]["slider_scale"] == "log" and steps[name]["slider_max"] <= 100_000
    assert steps["decay_rate"]["slider_max"] <= 100 and steps["k"]["slider_max"] <= 1000
