"""GET /api/v1/limits serves every cap the front end needs, from the schema's own constants."""

from app.api.schemas import MAX_CHAIN, TrajectoryRequest
from app.engine.params import ParamSpec


def test_the_chain_length_and_list_length_are_the_schemas(client) -> None:
    body = client.get("/api/v1/limits").json()
    assert body["max_chain_length"] == MAX_CHAIN
    assert body["max_list_items"] == ParamSpec("milestones", (1,), kind="int_list").max_items
    runs = TrajectoryRequest.model_json_schema()["properties"]["runs"]
    assert body["max_runs"] == runs["maxItems"]


def test_the_languages_are_served_once(client) -> None:
    from app.i18n import LANGS

    for lang in LANGS:
        answer = client.get("/api/v1/messages", headers={"accept-language": f"xx, {lang}-XX;q=0.9"}).json()
        assert answer["lang"] == lang and answer["languages"] == list(LANGS)
        assert answer["messages"]["lang.tag"].lower().startswith(lang)


def test_the_permalink_keys_are_served_from_their_one_table(client) -> None:
    from app.permalink import RUN_KEYS, STATE_KEYS

    body = client.get("/api/v1/permalink").json()
    assert body == {"state": STATE_KEYS, "run": RUN_KEYS}
    # links already published keep opening: the keys they use are still the same
    assert {STATE_KEYS[k] for k in ("surface", "expr", "xr", "yr", "start", "steps", "runs")} == {
        "s",
        "f",
        "xr",
        "yr",
        "p",
        "n",
        "r",
    }
    assert len(set(STATE_KEYS.values())) == len(STATE_KEYS) and len(set(RUN_KEYS.values())) == len(RUN_KEYS)
