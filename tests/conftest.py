"""Every result built during the tests is validated against its typed model
(:mod:`riskengine.io.documents`): an undeclared or mistyped field fails the test that made it.
Subprocesses (the CLI, the service) inherit the setting."""

import os

import pytest

import riskengine as rk
from riskengine.io.documents import CHECK_ENV

os.environ[CHECK_ENV] = "1"


@pytest.fixture(scope="session")
def week():
    """The example factory's week: its three plan versions, premises and the week's actuals."""
    s = "scenarios/example-factory"
    history = rk.read_history([f"{s}/plan-v{k}.json" for k in (1, 2, 3)])
    return history, rk.read_premises(f"{s}/premises.toml"), rk.read_actuals(f"{s}/actuals.csv", history)
