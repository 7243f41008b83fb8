"""The front end's module boundaries, read from its source: one module talks to the server (api.js),
one touches Plotly (plots.js), and no limit, language or dead helper is written in the scripts."""

from __future__ import annotations

import re

from tests.web.conftest import ROOT

JS = ROOT / "static/js"

# (a pattern, the modules allowed to hold it: the network page draws through its own network_plots.js)
ONLY_IN = [
    (re.compile(r"\bfetch\s*\("), ("api.js",)),
    (re.compile(r"\bEventSource\b"), ("api.js",)),
    (re.compile(r"(?<![\w.])Plotly\s*\."), ("plots.js", "network_plots.js")),
    (re.compile(r"\._fullLayout\b"), ("plots.js",)),
    (re.compile(r"\bwindow\.Plotly\b|plotly\.min\.js"), ("plots.js",)),
]


def _code(path):
    """The script without its comments (a comment may name what it must not call)."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


def test_one_module_talks_http_and_one_touches_plotly():
    scripts = sorted(JS.glob("*.js"))
    assert {"api.js", "plots.js", "lessons.js", "main.js"} <= {p.name for p in scripts}
    found = []
    for path in scripts:
        code = _code(path)
        for pattern, allowed in ONLY_IN:
            if path.name not in allowed and pattern.search(code):
                found.append(f"{path.name}: {pattern.pattern}")
    assert found == []
    # …and the allowed modules really are where it happens (the patterns match what they guard)
    assert ONLY_IN[0][0].search(_code(JS / "api.js")) and ONLY_IN[2][0].search(_code(JS / "plots.js"))


def test_both_pages_use_the_shared_modules():
    for page in ("main.js", "lessons.js", "networks.js"):
        code = _code(JS / page)
        assert re.search(r'from "\./api\.js"', code) and re.search(r'from "\./store\.js"', code), page
        assert re.search(r'from "\./url\.js"', code), page


def test_no_language_list_or_server_limit_in_the_scripts():
    """The languages come from GET /api/v1/messages, the limits from GET /api/v1/limits."""
    for path in sorted(JS.glob("*.js")):
        code = _code(path)
        assert not re.search(r"""["']zh["']""", code), f"{path.name} names a language"
        # a cap written in (8 links, 64 runs, 300 characters…); 10000 in runner.js is the size from
        # which push(...a) would overflow the stack, not a limit of the server's
        for cut in re.finditer(r"\.slice\(0,\s*(\d+)\)|\.length\s*[<>]=?\s*(\d+)", code):
            assert not 8 <= int(cut.group(1) or cut.group(2)) < 1000, f"{path.name}: {cut.group(0)}"


def test_no_dead_helpers():
    code = "".join(_code(p) for p in JS.glob("*.js"))
    for name in ("PALETTE", "defaultRuns", "LANGS", "detectLang"):
        assert not re.search(rf"\b{name}\b", code), name


def test_the_permalink_keys_are_written_once():
    """The hash's keys live in app/permalink.py only: state.js reads them from the server, optiviz's
    studio_url from the module; neither script nor optiviz spells one as a key."""
    from app.permalink import RUN_KEYS, STATE_KEYS

    state = _code(JS / "state.js")
    assert not re.search(r"\bkey:\s*\"", state)  # no key column in the table of PROPS
    names = re.findall(r"\{ name: \"(\w+)\", type:", state)
    assert names == list(STATE_KEYS)  # every prop of the state has its key on the server, and only those
    for field in RUN_KEYS:
        assert re.search(rf"\bk\.{field}\b", state), field  # written with the served key
    core = (ROOT / "optiviz/_core.py").read_text(encoding="utf-8")
    url = core[core.index("\ndef studio_url(") : core.index("\ndef _num(")]
    assert "STATE_KEYS[" in url and "RUN_KEYS[" in url
    assert not re.search(r"q\.append\(\(\"|\{\"o\":", url)  # a key spelled out
