"""The forecast over HTTP and ``riskengine call`` (``POST /v1/forecast``, also as a job).

:class:`ForecastRequest` carries the documents inline, as the other operations' do
(:mod:`riskengine.service.requests`): the plan versions, the premises (or ``premises_toml``),
the actuals (``riskengine.actuals/1``), the events (``riskengine.events/1``) and a previous
forecast (``riskengine.forecast/1``), with the options of ``riskengine forecast``.
:func:`inputs` validates what the generic validation does not know (the as-of time, the
events, the previous forecast), every problem located in the request (``events.events[2].end``);
:func:`run` returns the result document, the same dict the CLI writes with ``--json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SkipValidation

from riskengine.analysis.score import MAX_REPLICATIONS, MAX_SEED
from riskengine.errors import InputError, Problem
from riskengine.model.actuals import Actuals
from riskengine.model.common import ABSENT, Strict
from riskengine.model.plan import Plan
from riskengine.model.premises import Premises

PREMISES_TOML = ("The premises as TOML text (what a premises.toml file holds), instead of the JSON "
                 "document in premises; give one of the two.")


class ForecastRequest(Strict):
    """``POST /v1/forecast``: the options of ``riskengine forecast``."""

    plans: Annotated[list[SkipValidation[Plan]], Field(min_length=1, max_length=50)]
    premises: SkipValidation[Premises] = ABSENT  # or premises_toml (one of the two)
    premises_toml: str = Field(default=ABSENT, description=PREMISES_TOML)
    as_of: str | float = Field(description="The as-of time: ISO 8601 with offset, or hours from the "
                               "horizon start. Nothing before it is simulated.")
    actuals: SkipValidation[Actuals] | None = Field(
        default=None, description="What was produced (riskengine.actuals/1): records ended by the as-of "
        "time are realized, one started before it and not ended by it is in progress.")
    events: dict[str, Any] | None = Field(
        default=None, description="What is known at the as-of time (riskengine.events/1): a breakdown "
        "without end, a lot's expected arrival, an absent crew.")
    previous: dict[str, Any] | None = Field(
        default=None, description="An earlier forecast (riskengine.forecast/1): what changed since, and why.")
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 1000
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    engine: Literal["kernel", "reference"] = "kernel"
    alert: Annotated[float, Field(gt=0, le=1)] = 0.8
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.8


def located(prefix: str, exc: InputError) -> list[Problem]:
    return [Problem(f"{prefix}.{p.location}" if p.location else prefix, p.message) for p in exc.problems]


def inputs(data: dict, history) -> tuple[dict, list[Problem]]:
    """The as-of time, events and previous forecast of a forecast request (``history``: its plan
    versions, None when they were invalid), and the problems found in them."""
    from riskengine.live.alerts import check_previous
    from riskengine.live.events import parse_known_events
    from riskengine.live.run import as_of_time

    out: dict = {"as_of": None, "events": None, "previous": None}
    problems: list[Problem] = []
    if history is None:
        return out, problems
    if "as_of" in data:
        try:
            out["as_of"] = as_of_time(data["as_of"], history)
        except InputError as exc:
            problems += exc.problems
    if isinstance(data.get("events"), dict):
        try:
            out["events"] = parse_known_events(data["events"], history.versions)
        except InputError as exc:
            problems += located("events", exc)
    if isinstance(data.get("previous"), dict):
        try:
            out["previous"] = check_previous(data["previous"])
        except InputError as exc:
            problems += located("previous", exc)
    return out, problems


def run(v, progress, stop_if_cancelled, batched: bool, stop=None, dask=None) -> dict:
    """The forecast of a validated request (``riskengine.forecast/1``); ``stop`` (a
    :class:`~riskengine.simulation.watchdog.StopFlag`) ends it within the replication it is in;
    ``dask``: the :class:`~riskengine.analysis.cluster.Cluster` it runs on (``serve --dask``)."""
    from riskengine.live.run import forecast
    from riskengine.service.operations import batch_size

    r = v.request
    progress.total = r.replications

    def tick(done: int, _width: float) -> None:
        progress.update(done)
        stop_if_cancelled()

    known = v.forecast
    result = forecast(v.history, v.premises, known["as_of"], actuals=v.actuals, events=known["events"],
                      previous=known["previous"], replications=r.replications, seed=r.seed, engine=r.engine,
                      alert=r.alert, confidence=r.confidence, progress=tick if batched else None,
                      batch=batch_size(r.replications) if batched else None, stop=stop,
                      dask=dask)
    progress.total = progress.done = result.replications
    return result.to_dict()
