"""Benchmarks (not tests): each module is run with ``python -m bench.<name>`` and prints a
table; the figures are recorded in docs/benchmarks.md."""
