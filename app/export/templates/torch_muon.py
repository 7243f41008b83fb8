"""torch's Muon with its Newton–Schulz iteration in float64, and AdamW on the other tensors
(`app.engine.optimizers.muon`): the way torch's documentation trains a network with Muon.

The text after the marker is copied into the exported script (`app.export.network`), where the
imports are the script's own."""

import torch

# --- the script ---
MUON_BFLOAT16 = False  # True: torch's Muon as shipped (Newton–Schulz in bfloat16, ~3 digits off optiviz's)


class Float64Muon(torch.optim.Muon):
    """torch.optim.Muon whose Newton–Schulz iteration runs in the parameters' float64: during the
    step, Tensor.bfloat16 (the one cast in torch's _zeropower_via_newtonschulz) returns a copy."""

    @torch.no_grad()
    def step(self, closure=None):
        if MUON_BFLOAT16:
            return super().step(closure)
        cast = torch.Tensor.bfloat16
        torch.Tensor.bfloat16 = lambda self, *args, **kw: self.clone()
        try:
            return super().step(closure)
        finally:
            torch.Tensor.bfloat16 = cast


def muon_with_adamw(params, lr, adamw_lr, adamw_betas, adamw_eps, adamw_weight_decay, **muon):
    """Muon on the 2-D weights, AdamW on the rest (the biases): (Muon, (AdamW, its rate's factor)),
    AdamW's rate following Muon's as adamw_lr * lr_t / lr (the scheduler drives Muon's)."""
    weights, rest = [q for q in params if q.ndim == 2], [q for q in params if q.ndim != 2]
    adamw = torch.optim.AdamW(rest, lr=adamw_lr, betas=adamw_betas, eps=adamw_eps, weight_decay=adamw_weight_decay)
    return Float64Muon(weights, lr=lr, **muon), (adamw, adamw_lr / lr)
