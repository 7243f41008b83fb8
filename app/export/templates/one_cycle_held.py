"""torch's OneCycleLR held past its total_steps, as the studio draws it (written only when needed).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

from torch.optim import lr_scheduler as L

# --- the script ---


class OneCycleLRHeld(L.OneCycleLR):
    """torch's OneCycleLR, held at its last rate (and momentum) from total_steps on, as the studio
    draws it (torch raises when stepped past total_steps)."""

    def step(self, epoch=None):
        if self.last_epoch + 1 < self.total_steps:
            super().step()
