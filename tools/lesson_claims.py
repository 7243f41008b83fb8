"""Re-measure every lesson's claim and store it: ``python -m tools.lesson_claims``.

Run after changing a lesson or the engine: ``app/lessons/data/claims.json`` holds each claim's
figures with a fingerprint of the lesson's requests (`app.lessons.claims`), measured on the
lesson's own API answer by the service's code (`app.api.service_lessons`); the tests check the
file is current.
"""

from __future__ import annotations

import json

from app.api.service_lessons import measure_all
from app.lessons.claims import STORE, write_store


def main() -> None:
    write_store(measure_all())
    for k, v in json.loads(STORE.read_text(encoding="utf-8")).items():
        print(f"{k:24s} holds={v['holds']}  {v['figures']}")


if __name__ == "__main__":
    main()
