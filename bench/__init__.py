"""Benchmarks of GiamNgheo at district and province scale (see bench/README.md)."""
