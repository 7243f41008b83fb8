"""The NumPy engine: surfaces, optimizers, schedules and the runner that steps them."""
