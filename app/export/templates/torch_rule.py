"""The base of the exported script's own torch.optim.Optimizer classes (Lion, Polyak, damped
Newton, …): the step that calls each class's ``update``.

The text after the marker is copied into the exported script (`app.export`) before the classes
that use it, where the imports are the script's own."""

import torch


# --- the script ---
class Rule(torch.optim.Optimizer):
    """An update rule as a torch optimizer: the constructor's keywords are the group's
    hyperparameters; step(closure) evaluates the closure where one is given (with its gradient:
    the loss at the current point), then update(p, state, group, loss) moves each parameter."""

    def __init__(self, params, **hyperparameters):
        super().__init__(params, hyperparameters)

    def update(self, p, st, group, loss):
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                self.update(p, self.state[p], group, loss)
        return loss
