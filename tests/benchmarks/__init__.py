"""Smoke tests of the benchmark commands."""
