"""Exact adherence: one definition for realized data and for every simulated replication."""
