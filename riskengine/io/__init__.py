"""Readers and writers for the contract's file formats, and their JSON Schemas."""

from riskengine.io.readers import read_actuals, read_history, read_json, read_plan
from riskengine.io.writers import to_json, write_json, write_text_atomic

__all__ = [
    "read_actuals",
    "read_history",
    "read_json",
    "read_plan",
    "to_json",
    "write_json",
    "write_text_atomic",
]
