"""Benchmarks: run as modules (`python -m simulations.bench.<name>`), never from tests."""
