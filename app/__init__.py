"""optiviz: see how deep-learning optimizers move across a loss surface."""

__version__ = "1.0.0"
