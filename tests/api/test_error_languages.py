"""Every error family in the request's language: ``?lang=zh`` or ``Accept-Language: zh``; English,
word for word as before, by default.

The families: pydantic's own messages (missing, wrong type, out of range with the bound, unknown
field, bad choice), a validator's (a formula's text, an optimizer's parameter, a lesson tool's
field), the service's cross-field checks (`InvalidRequest`), the parser's (a formula that does not
parse), the analysis tools', the cost and time limits, the body's limits (too many fields, too
large). Every message key the engine raises has its translation.
"""

from __future__ import annotations

import re

import orjson
import pytest

from app.engine.explained import ENGLISH, Explained
from app.i18n import catalogue, explain, text
from app.main import app

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}
ROSEN = {"surface": "rosenbrock", "steps": 10}

# (endpoint, body, English message as the API has always written it, a piece of the Chinese one)
CASES = [
    ("/api/v1/trajectories", {**ROSEN, "runs": [{}]}, "Field required", "缺少必填字段"),
    (
        "/api/v1/trajectories",
        {**ROSEN, "steps": "a", "runs": [{"optimizer": "gd"}]},
        "Input should be a valid integer",
        "应为整数",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "steps": 10**6, "runs": [{"optimizer": "gd"}]},
        "Input should be less than or equal to 20000",
        "应小于或等于 20000",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "runs": [{"optimizer": "gd", "lrr": 1}]},
        "Extra inputs are not permitted",
        "不允许的未知字段",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "runs": [{"optimizer": "nope"}]},
        "Input should be 'gd', 'momentum'",
        "应为 'gd', 'momentum'",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "runs": [{"optimizer": "adam", "params": {"lr": -1}}]},
        "Value error, optimizer 'adam' parameter 'lr' must be >= 1e-06, got -1",
        "优化器 'adam' 的参数 'lr' 必须 >= 1e-06",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "runs": [{"optimizer": "adam", "params": {"lrr": 1}}]},
        "Value error, unknown optimizer parameter 'lrr' for 'adam'; valid parameters: lr,",
        "优化器 'adam' 没有参数 'lrr'",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "surface": "nope", "runs": [{"optimizer": "gd"}]},
        "Value error, unknown surface 'nope'; valid surfaces:",
        "未知曲面 'nope'",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "runs": [{"optimizer": "gd", "batch_size": 4}]},
        "batch_size applies to dataset surfaces only",
        "batch_size 只适用于数据集曲面",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "surface": {"expression": "x^2 + 10*y^"}, "runs": [{"optimizer": "gd"}]},
        "Value error, a number or name is missing after ^ at column 11 ('^')",
        "^ 后面缺少数字或名称（第 11 列：'^'）",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "surface": {"expression": "x^2 + 10*z"}, "runs": [{"optimizer": "gd"}]},
        "unknown name 'z': use x, y, pi, e,",
        "未知名称 'z'",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "surface": {"expression": "(x + y"}, "runs": [{"optimizer": "gd"}]},
        "Value error, unbalanced parentheses: a '(' is never closed at column 1",
        "括号不配对：有一个 '(' 没有闭合",
    ),
    (
        "/api/v1/trajectories",
        {**ROSEN, "surface": {"expression": "log(x)"}, "start": [-1, 0], "runs": [{"optimizer": "gd"}]},
        "cannot start at [-1.0, 0.0]: the surface or its gradient cannot be evaluated",
        "不能从 [-1.0, 0.0] 出发：曲面或其梯度在该处无法求值",
    ),
    (
        "/api/v1/ewa",
        {"series": [1, 2], "betas": [1.5]},
        "Value error, every beta must be in [0, 1), got 1.5",
        "每个 β 都必须在 [0, 1) 内，收到 1.5",
    ),
    (
        "/api/v1/ewa",
        {"series": [1, 1e301], "betas": [0.5]},
        "series[1] = 1e+301: values must be within ±1e+300",
        "序列中下标 1 的值 1e+301 超出范围",
    ),
    (
        "/api/v1/sweeps",
        {
            "surface": "rosenbrock",
            "optimizer": "gd",
            "x_param": {"name": "lr", "min": 2, "max": 1, "n": 3},
            "y_param": {"name": "lr", "values": [0.1]},
        },
        "Value error, 'min' must not be larger than 'max'",
        "'min' 不能大于 'max'",
    ),
    (
        "/api/v1/sweeps",
        {
            "surface": "rosenbrock",
            "optimizer": "gd",
            "x_param": {"name": "lr", "values": [0.1]},
            "y_param": {"name": "lr", "values": [0.1]},
        },
        "the two axes must sweep different parameters",
        "两个坐标轴必须扫描不同的参数",
    ),
    (
        "/api/v1/race",
        {"surface": "rosenbrock", "lr_min": 1, "lr_max": 0.1},
        "Value error, lr_min must be smaller than lr_max",
        "lr_min 必须小于 lr_max",
    ),
    (
        "/api/v1/race",
        {"surface": "rosenbrock", "optimizers": ["lbfgs"]},
        "L-BFGS ('lbfgs') is not element-wise",
        "（'lbfgs'）不是逐元素的",
    ),
    (
        "/api/v1/inspect",
        {**ROSEN, "runs": [{"optimizer": "gd"}], "run": 3, "t": 0},
        "run must be between 0 and 0",
        "run 必须在 0 到 0 之间",
    ),
    (
        "/api/v1/networks",
        {"runs": [{"optimizer": "adam"}], "plane": {"run": 4}},
        "plane.run = 4: there are 1 runs",
        "plane.run = 4：共有 1 个运行",
    ),
    (
        "/api/v1/networks",
        {
            "model": {"hidden": [40, 40]},
            "epochs": 50,
            "runs": [{"optimizer": "adam", "batch_size": 1}] * 16,
            "points": 1000,
        },
        "more than the server's limit of 64 MB per answer",
        "超过服务器每个回答 64 MB 的上限",
    ),
    (
        "/api/v1/networks",
        {
            "data": {"samples": 5000},
            "model": {"hidden": [40, 40, 15]},
            "epochs": 20000,
            "runs": [{"optimizer": "adam"}] * 16,
            "points": 2,
            "plane": {"kind": "hessian", "n": 41},
        },
        "the computation would take longer than the server's limit of",
        "计算耗时将超过服务器的上限",
    ),
]


def _messages(r) -> str:
    detail = r.json()["detail"]
    return detail if isinstance(detail, str) else " | ".join(d["msg"] for d in detail)


@pytest.mark.parametrize(("path", "body", "english", "chinese"), CASES, ids=[f"{c[0]}:{c[2][:40]}" for c in CASES])
def test_every_error_family_in_both_languages(client, path, body, english, chinese):
    en = client.post(path, json=body)
    assert en.status_code == 422, en.text[:300]
    assert english in _messages(en) and not CJK.search(en.text)
    zh = client.post(path, json=body, headers=ZH)
    assert zh.status_code == 422 and chinese in _messages(zh), _messages(zh)
    assert "Value error" not in _messages(zh)
    by_query = client.post(path + "?lang=zh", json=body)
    assert by_query.json() == zh.json()
    assert client.post(path + "?lang=en", json=body, headers=ZH).json() == en.json()  # ?lang= wins


def test_the_formula_check_answers_in_the_language_asked(client):
    body = {"expression": "x^2 + 10*y^"}
    en = client.post("/api/v1/expressions/check", json=body).json()
    zh = client.post("/api/v1/expressions/check?lang=zh", json=body).json()
    assert en["detail"] == "a number or name is missing after ^ at column 11 ('^')"
    assert zh["detail"] == "^ 后面缺少数字或名称（第 11 列：'^'）"
    assert (en["position"], en["length"]) == (zh["position"], zh["length"]) == (10, 1)


@pytest.mark.parametrize(
    ("formula", "english"),
    [
        ("x^2 + 10*y^", "a number or name is missing after ^ at column 11 ('^')"),
        ("x^2 +", "a number or name is missing after + at column 5 ('+')"),
        ("sin(x +)", "a number or name is missing after + at column 7 ('+')"),
        ("x ** ", "a number or name is missing after ** at column 3 ('**')"),
        ("x + * y", "a number or name is missing after + at column 3 ('+')"),
        ("x + y)", "unbalanced parentheses: ')' without '(' at column 6 (')')"),
        (
            "foo(x)",
            "unknown function 'foo': the functions are sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, atan"
            " at column 1 ('foo')",
        ),
        ("x.y", "attribute access is not allowed in a formula at column 1 ('x.y')"),
    ],
)
def test_the_parser_says_what_is_missing_and_where(client, formula, english):
    assert client.post("/api/v1/expressions/check", json={"expression": formula}).json()["detail"] == english


def test_body_limits_in_both_languages(client):
    wide = {f"k{i}": 0 for i in range(1001)}
    en = client.post("/api/v1/trajectories", json=wide)
    zh = client.post("/api/v1/trajectories?lang=zh", json=wide)
    assert en.status_code == zh.status_code == 422
    assert _messages(en) == "the body has more than 1000 fields" and _messages(zh) == "请求体的字段超过 1000 个"
    big = b'{"x": "' + b"a" * 1_100_000 + b'"}'
    en = client.post("/api/v1/trajectories", content=big, headers={"content-type": "application/json"})
    zh = client.post("/api/v1/trajectories", content=big, headers={"content-type": "application/json", **ZH})
    assert en.status_code == zh.status_code == 413
    assert en.json()["detail"] == "request body too large: the limit is 1000000 bytes"
    assert zh.json()["detail"] == "请求体过大：上限是 1000000 字节"
    nan = b'{"surface": NaN}'
    zh = client.post("/api/v1/trajectories?lang=zh", content=nan, headers={"content-type": "application/json"})
    assert zh.status_code == 422 and "JSON 格式无效" in _messages(zh) and "不是有效的 JSON 数字" in _messages(zh)


BAD_JSON = [b"{", b'{"a" 1}', b"[1,2", b"[1 2]", b"nope", b'{"a":1}x', b'"\\x"', b"-", b"01", b"[1,]", b"{a:1}"]
BAD_JSON += [b"[1e999]"]


@pytest.mark.parametrize("raw", BAD_JSON)
def test_the_json_parser_detail_in_the_language_asked(client, raw):
    # the parser's own words in English; in Chinese their translation, not an English fragment
    head = {"content-type": "application/json"}
    en = client.post("/api/v1/trajectories", content=raw, headers=head)
    zh = client.post("/api/v1/trajectories?lang=zh", content=raw, headers=head)
    assert en.status_code == zh.status_code == 422
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        assert _messages(en) == f"invalid JSON: {err.msg}"
    words = re.sub(r"JSON|'[a-z]+'", "", _messages(zh))  # JSON's name and its literals ('null') aside
    assert _messages(zh).startswith("JSON 格式无效：") and not re.search(r"[A-Za-z]{4,}", words)
    assert _messages(zh) != "JSON 格式无效：请求体无法解析为 JSON"  # each one of these is known to the catalogue


def test_every_engine_message_has_its_chinese_and_the_same_placeholders():
    # the engine's English is written beside the code that raises it; the catalogue holds the zh
    texts = catalogue()
    for key, english in ENGLISH.items():
        assert key in texts and texts[key]["en"] == english, key
        assert CJK.search(texts[key]["zh"]) or key.startswith("param.owner"), key
        fields = set(re.findall(r"\{(\w+)\}", english))
        assert fields == set(re.findall(r"\{(\w+)\}", texts[key]["zh"])), key


def test_an_explained_error_renders_its_parts_in_one_language():
    err = Explained("param.range", where=Explained("param.where", owner="x", name="lr"), op=">=", bound=0, value="-1")
    assert str(err) == "x parameter 'lr' must be >= 0, got -1"
    assert explain(err, "zh") == "x 的参数 'lr' 必须 >= 0，收到 -1"
    assert explain(ValueError("plain"), "zh") == "plain"
    assert text("error.timeout", "zh", limit=30) == "计算耗时超过了服务器的上限 30 秒：请减少步数、运行数或网格点"


def test_the_docs_name_every_optimizer_from_the_registry():
    from app.registry import OPTIMIZERS, SCHEDULES

    for spec in (*OPTIMIZERS.values(), *SCHEDULES.values()):
        assert spec.name in app.description or spec.name.lower() in app.description, spec.id
