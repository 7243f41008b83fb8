"""`make bench`: every benchmark, each reported as a ratio against a baseline of the same run."""

import importlib

for name in (
    "bench.engine",
    "bench.surfaces",
    "bench.sweep",
    "bench.sweep_chain",
    "bench.datasets",
    "bench.network",
    "bench.schedules",
    "bench.load",
    "bench.browser",
    "bench.network_browser",
):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == name:
            continue
        raise
    print(f"\n# {name}\n")
    module.main()
