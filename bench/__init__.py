"""Benchmarks of the gateway (issue 8): `python -m bench`, see bench/README.md."""
