"""Simulation: compile (model -> arrays), counter-based rng, samplers, reference and kernel."""
