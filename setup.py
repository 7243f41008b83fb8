"""Which packages the wheel holds, and under which names (everything else is in pyproject.toml).

The wheel installs one top-level package, ``optiviz``: the Python API, with the server (``app/`` in
the source tree) as ``optiviz.server`` and the studio's ``static/`` and ``templates/`` inside it as
package data, so an installed optiviz serves from any folder and shadows no other project's
``app``. An editable install (``pip install -e .``, ``make run``) keeps the source tree's names,
``app`` and ``optiviz``, as the tests, ``uvicorn app.main:app`` and ``python -m app.cli`` use them.

This is code because setuptools' package discovery in pyproject.toml cannot rename a directory
tree, and listing app/'s subpackages by hand would be a second list of them.
"""

import sys

from setuptools import find_packages, setup

EDITABLE = "editable_wheel" in sys.argv  # PEP 660: setuptools builds an editable install with this command
SERVER = "app" if EDITABLE else "optiviz.server"  # optiviz/_server.py finds whichever is installed

setup(
    packages=[
        "optiviz",
        SERVER,
        *(f"{SERVER}.{p}" for p in find_packages("app")),
        *([] if EDITABLE else [f"{SERVER}.static", f"{SERVER}.templates"]),
    ],
    package_dir={} if EDITABLE else {SERVER: "app", f"{SERVER}.static": "static", f"{SERVER}.templates": "templates"},
    package_data={
        f"{SERVER}.lessons": ["data/*.json", "data/*.md"],
        f"{SERVER}.i18n": ["*.json"],
        f"{SERVER}.engine": ["data/*.toml", "data/*.json"],  # the built-in surfaces' table, the suggested lrs
        f"{SERVER}.export": ["templates/*.py"],  # the export's script templates, if not a package of their own
        **({} if EDITABLE else {f"{SERVER}.static": ["**/*"], f"{SERVER}.templates": ["**/*"]}),
    },
)
