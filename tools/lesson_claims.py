"""Re-measure the lessons' claims and store them: ``python -m tools.lesson_claims [lesson-id …]``.

Run after changing a lesson or the engine: ``app/lessons/data/claims.json`` holds each claim's
figures with a fingerprint of the lesson's requests (`app.lessons.claims`), measured on the
lesson's own API answer by the service's code (`app.api.service_lessons`); the tests check the
file is current. With ids, only those lessons are measured again; the others keep their stored
measurement while it is current (else they are measured too).
"""

from __future__ import annotations

import json
import sys

from app.api.service_lessons import compute, measure
from app.lessons.claims import STORE, write_store
from app.lessons.scenarios import BY_ID


def main(ids: list[str]) -> None:
    unknown = [i for i in ids if i not in BY_ID]
    if unknown:
        raise SystemExit(f"unknown lesson ids {unknown}; the lessons: {', '.join(BY_ID)}")
    write_store({i: compute(i) if not ids or i in ids else measure(i) for i in BY_ID})
    for k, v in json.loads(STORE.read_text(encoding="utf-8")).items():
        print(f"{k:24s} holds={v['holds']}  {v['figures']}")


if __name__ == "__main__":
    main(sys.argv[1:])
