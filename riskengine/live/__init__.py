"""The live plan: forecast from the current state (issue 19, docs/design.md section 3).

(The package is ``live``, not ``forecast``: a subpackage named ``forecast`` would shadow the
function ``riskengine.forecast`` once imported.)

- :mod:`riskengine.live.events`: what is known at the as-of time (``riskengine.events/1``);
- :mod:`riskengine.live.state`, :mod:`riskengine.live.resources`: the realized state, as the kernel's
  ``Initial`` record; :mod:`riskengine.live.reduce`: what the replications simulate of the plan;
- :mod:`riskengine.live.run`: :func:`~riskengine.live.run.forecast` (the replications from the state);
- :mod:`riskengine.live.consolidate`, :mod:`riskengine.live.dates`, :mod:`riskengine.live.alerts`:
  the result (``riskengine.forecast/1``), its dates, alerts and changes;
  :mod:`riskengine.live.text`, :mod:`riskengine.live.command`: the terminal and ``riskengine forecast``.
"""
