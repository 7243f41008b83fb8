"""The PyTorch script's optimizer taking over a run: the run's first, or the next link of an
optimizer chain (issue 21: Adam first, then momentum), as `app.engine.switching` runs it.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

from .torch_schedulers import advanced

# --- the script ---


def take_over(p, make_optimizer, make_scheduler, clock):
    """A NEW optimizer on the same tensor p (fresh state: Adam's bias correction restarts at its
    step 1, a velocity at 0) and its scheduler, stepped `clock` times: the number of times the
    run's scheduler has stepped before this optimizer takes over (`advanced`)."""
    opt = make_optimizer(p)
    return opt, advanced(make_scheduler(opt), clock)
