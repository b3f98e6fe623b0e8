"""Benchmarks of riskengine (not part of the test run): ``python benchmarks/run.py --help``."""
