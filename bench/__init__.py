"""Benchmarks that measure Heliograph against real load generators (`python -m bench.proxy`)."""
