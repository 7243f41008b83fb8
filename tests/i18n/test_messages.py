"""The message catalogue: every key in both languages, no key twice, language negotiation."""

from __future__ import annotations

import re

import pytest

from app.i18n import LANGS, catalogue, messages, pick_lang

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_key_has_every_language_and_the_same_placeholders(key):
    texts = catalogue()[key]
    assert set(texts) == set(LANGS), f"{key}: languages {sorted(texts)}"
    for lang in LANGS:
        assert texts[lang].strip(), f"{key}: empty {lang} text"
    assert set(PLACEHOLDER.findall(texts["en"])) == set(PLACEHOLDER.findall(texts["zh"])), key


def test_chinese_texts_are_chinese():
    # a zh text that is only ASCII letters is an untranslated copy (formula-only texts excepted)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [
        k
        for k, v in catalogue().items()
        if re.search(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", v["zh"]))  # a placeholder's name is not a word
        and not cjk.search(v["zh"])
        and v["zh"] != v["en"]
        and not k.startswith("lang.")
    ]
    assert not untranslated


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "en"),
        ("zh", None, "zh"),
        ("zh-CN", "en", "zh"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "en-US,en;q=0.9,zh;q=0.8", "en"),
        (None, "fr-FR,zh;q=0.5", "zh"),
        ("xx", "de", "en"),
    ],
)
def test_pick_lang(query, header, expected):
    assert pick_lang(query, header) == expected


def test_messages_endpoint(client):
    r = client.get("/api/v1/messages", params={"lang": "zh"})
    assert r.status_code == 200
    body = r.json()
    assert body["lang"] == "zh" and body["messages"] == messages("zh")
    r = client.get("/api/v1/messages", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert r.json()["lang"] == "zh"
    assert client.get("/api/v1/messages").json()["lang"] == "en"
