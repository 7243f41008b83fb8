"""The parts of the exported scripts that are code, not data: real Python files, linted and
type-checked, read as text by `app.export` (never imported at runtime: they import torch, jax and
optax, which the app does not need). Each file's part after its marker line is copied into the
script; the lines above the marker import, for the linters, what the script defines around it:
from the template that defines it, else from `_script`."""
