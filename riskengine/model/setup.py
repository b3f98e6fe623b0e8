"""Sequence-dependent setups: the plan's ``setup_matrix``.

``"setup_matrix": {"F1": {"F2": 0.5, "F3": 1.0}, "F2": {"F1": 0.75}}`` gives
the setup hours a resource needs to change over from a family (outer key)
to the next (inner key). A pair that is not listed needs no setup; the same
family needs none unless the matrix lists it (``{"F1": {"F1": 0.1}}``: a
cleaning between two lots of F1). An operation without a family, and the
first operation on a resource (its previous state is unknown), need none.
The planned setup of an operation is its ``setup_hours``, inside its planned
window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskengine.model.common import Id, NonNegative

if TYPE_CHECKING:
    from riskengine.model.plan import Plan

#: family -> next family -> setup hours.
SetupMatrix = dict[Id, dict[Id, NonNegative]]


def required_setup(plan: Plan, from_family: str | None, to_family: str | None) -> float:
    """Setup hours the plan's matrix requires to change over from ``from_family`` to ``to_family``.

    Parameters
    ----------
    plan
        A validated plan (``plan.setup_matrix`` may be None: no setups required).
    from_family, to_family
        Families of the previous and the next operation on a resource; None
        (no family, or no previous operation) requires no setup.

    Returns
    -------
    float
        Hours, 0.0 for a pair the matrix does not list.
    """
    if from_family is None or to_family is None or not plan.setup_matrix:
        return 0.0
    return float(plan.setup_matrix.get(from_family, {}).get(to_family, 0.0))
