"""Job-shop benchmark instances turned into candidate plans (``riskengine.plan/1``).

- :mod:`~riskengine.jobshop.instance`: instances (the bundled benchmark subset or a
  file in the same format) and schedules (start times per job and operation);
- :mod:`~riskengine.jobshop.rules`: dispatching rules in the Giffler-Thompson
  active and non-delay schedule generators;
- :mod:`~riskengine.jobshop.solver`: makespan-optimal schedules with OR-Tools CP-SAT
  (optional extra ``jobshop``);
- :mod:`~riskengine.jobshop.plans`: a schedule as a plan (machines as resources, jobs
  as orders, routing as ``after``, an optional calendar).

Names are imported on first use, so the command line starts fast.
"""

import importlib

_NAMES = {"RULES": "rules", "dispatch": "rules", "Instance": "instance", "Schedule": "instance",
          "load_instance": "instance", "load_instances": "instance", "schedule_plan": "plans"}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f"riskengine.jobshop.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'riskengine.jobshop' has no attribute {name!r}")
