"""The operational contract: plan review and sign-off, accountability, cause owners, trends.

- :mod:`~riskengine.governance.owners`: the cause ownership table and the plan/execution sides;
- :mod:`~riskengine.governance.accountability`: what ``measure`` adds (validated split, sides,
  the supervisor's hit rate, the Pareto by owner);
- :mod:`~riskengine.governance.review` and :mod:`~riskengine.governance.signoff`: the review
  sheet of a plan and its sign-off (``riskengine review``);
- :mod:`~riskengine.governance.trend`: adherence over many weeks (``riskengine trend``).

docs/design.md section 9 states the rules.
"""
