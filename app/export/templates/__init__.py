"""The classes and functions the exported scripts copy where torch or optax lacks them: real Python
files (linted and type-checked), read by `app.export` (`template`) from the marker line on."""
