"""``simulate``: K replications of a plan written as realized data (docs/design.md section 5).

A simulated replication is realized data: ``DIR/replication-0001.csv`` ...
(``riskengine.actuals/1``, one file per replication, numbered from 1 =
replication index 0), ``DIR/events-0001.csv`` ... (``riskengine.events/1``)
and ``DIR/summary.csv``, one row per replication with its own figures from
the kernel (:mod:`riskengine.simulation.realize` says what each file holds).

The invariant (tested): ``riskengine measure --plan PLAN --actuals
DIR/replication-000k.csv --premises F`` gives exactly row k's figures (volume,
mix, sequence, BTP, BTS, plan holds, HITs, each operation's HIT/MISS and
cause), and the mean of a summary column equals ``score``'s mean for the same
plan, premises, seed and K. Use: synthetic history for calibration and
back-tests, test data for an MES feed, a look at single executions behind a
score's averages.

The folder is written atomically (complete or absent); replications are made
and written one at a time, so memory grows with operations, not with K.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, with_config
from typing_extensions import TypedDict

from riskengine.calibration.events import COLUMNS as EVENT_COLUMNS
from riskengine.errors import InputError, Problem
from riskengine.io.documents import PART, Document, Maybe, Rules
from riskengine.model.plan import Plan, plan_warnings
from riskengine.model.premises import Premises, check_premises_against, premises_warnings
from riskengine.simulation.realize import ACTUALS_COLUMNS, ENGINES, SUMMARY_COLUMNS, Realized, realizations

SIMULATION_FORMAT: Literal["riskengine.simulation/1"] = "riskengine.simulation/1"
#: At most this many replications are written by one run (each is two files).
MAX_SIMULATED = 100_000
MAX_SEED = 2**63 - 1


@with_config(PART)
class SummaryMeans(TypedDict):
    """The means of the summary columns over the replications (ratios over those where something
    was planned): what ``score`` reports as its means for the same seed and replications."""

    plan_holds: Maybe
    """Share of the replications in which every operation was a HIT."""
    bts: Maybe
    """Mean BTS."""
    btp: Maybe
    """Mean BTP."""
    volume: Maybe
    """Mean volume."""
    mix: Maybe
    """Mean mix."""
    sequence: Maybe
    """Mean sequence."""
    hits: Maybe
    """Mean number of HIT operations."""
    finish_hours: Maybe
    """Mean finish, hours from the horizon start."""


class SimulationResult(Document):
    """What ``riskengine simulate`` wrote: K replications as realized data, with each one's own
    figures (``summary.csv``)."""

    format: Literal["riskengine.simulation/1"] = SIMULATION_FORMAT
    """The document's format and version."""
    plan: str
    """The simulated plan version's id."""
    seed: int
    """Seed of the counter-based random numbers (the same as score's for the same replications)."""
    engine: Literal["kernel", "reference"]
    """The engine whose results were written (the events always come from the reference's log)."""
    replications: int
    """Replications written."""
    folder: str | None
    """Where the files are (null: not written)."""
    means: SummaryMeans
    """The means of the summary columns."""
    rules: Rules
    """The adherence rules the replications were judged by (measure them with --premises)."""
    warnings: list[str] = Field(default_factory=list)
    """Premises entries the plan does not use, and what the plan's reader noted."""

    def __str__(self) -> str:
        from riskengine.adherence.figures import pct

        m = self.means
        where = f" to {self.folder}" if self.folder else ""
        lines = [f"Simulated {self.replications} replication(s) of plan {self.plan}, seed {self.seed} "
                 f"({self.engine} engine){where}",
                 "  per replication: replication-NNNN.csv (actuals), events-NNNN.csv (events); "
                 "summary.csv: one row each",
                 f"  means: plan holds {pct(m['plan_holds'])}, BTS {pct(m['bts'])}, BTP {pct(m['btp'])}, "
                 f"volume {pct(m['volume'])}, mix {pct(m['mix'])}, sequence {pct(m['sequence'])}",
                 "  measure a replication by the same rules: riskengine measure --plan PLAN "
                 "--actuals DIR/replication-0001.csv --premises F"]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Rows as CSV (floats as ``repr``: the shortest text that reads back as the same float;
    None as an empty cell)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})


def _check(replications: int, seed: int, engine: str) -> None:
    problems = []
    if not 1 <= replications <= MAX_SIMULATED:
        problems.append(Problem("replications", f"must be in 1..{MAX_SIMULATED}, got {replications}"))
    if not 0 <= seed <= MAX_SEED:
        problems.append(Problem("seed", f"must be in 0..2^63-1, got {seed}"))
    if engine not in ENGINES:
        problems.append(Problem("engine", f"must be one of {', '.join(ENGINES)}, got {engine!r}"))
    if problems:
        raise InputError(problems)


def _means(rows: list[dict]) -> dict:
    out = {}
    for name in SummaryMeans.__annotations__:
        x = np.array([np.nan if r[name] is None else r[name] for r in rows], np.float64)
        x = x[np.isfinite(x)]
        out[name] = float(np.mean(x)) if x.shape[0] else None
    return out


def simulate(plan: Plan, premises: Premises, *, replications: int = 10, seed: int = 0,
             out: str | os.PathLike | None = None, engine: str = "kernel", force: bool = False,
             progress: Callable[[int], None] | None = None) -> SimulationResult:
    """Simulate ``replications`` executions of ``plan`` and write each as realized data.

    Parameters
    ----------
    plan, premises
        Validated plan and variability model (premises are checked against the plan).
    replications
        How many replications (1 .. 100,000); replication k is the one ``score`` runs as k.
    seed
        Seed of the counter-based generator (0 .. 2^63 - 1).
    out
        The folder to write (atomically: complete or absent); None: nothing is written.
    engine
        Whose results are written and judged: ``"kernel"`` (default) or ``"reference"``.
    force
        Replace ``out`` if it exists (else it is refused before any work).
    progress
        Called with the number of replications done after each one.

    Returns
    -------
    SimulationResult
        The folder, the files, the means of the summary columns and the rules
        (``riskengine.simulation/1`` as ``to_dict()``).

    Examples
    --------
    >>> import tempfile, pathlib, csv
    >>> import riskengine as rk
    >>> plan = rk.read_plan("scenarios/example-factory/plan-v1.json")
    >>> premises = rk.read_premises("scenarios/example-factory/premises.toml")
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "runs"  # written atomically: complete or absent
    >>> result = rk.simulate(plan, premises, replications=3, seed=1, out=folder)
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['events-0001.csv', 'events-0002.csv', 'events-0003.csv']
    >>> rows = list(csv.DictReader(open(folder / "summary.csv")))
    >>> len(rows), rows[0]["replication"]
    (3, '1')
    >>> actuals = rk.read_actuals(folder / "replication-0001.csv", rk.PlanHistory([plan]))
    >>> m = rk.measure(plan, actuals, premises)  # the same record, the same rules
    >>> m.total["bts"] == float(rows[0]["bts"])
    True
    """
    from riskengine.io.writers import atomic_folder
    from riskengine.plugins import compile_with_plugins

    _check(replications, seed, engine)
    check_premises_against(premises, plan)
    c = compile_with_plugins(plan, premises)
    rows: list[dict] = []

    def run(folder: Path | None) -> None:
        for k, realized in enumerate(realizations(plan, c, seed, 0, replications, engine)):
            rows.append(realized.summary)
            if folder is not None:
                _write_replication(folder, realized)
            if progress is not None:
                progress(k + 1)
        if folder is not None:
            _write_csv(folder / "summary.csv", SUMMARY_COLUMNS, rows)

    if out is None:
        run(None)
    else:
        with atomic_folder(out, force=force) as folder:
            run(folder)
    return SimulationResult.build(
        plan=plan.id, seed=seed, engine=engine, replications=replications,
        folder=None if out is None else str(out), means=_means(rows),
        rules=premises.rules().document(c.bucket_hours),
        warnings=premises_warnings(premises, plan) + plan_warnings(plan))


def _write_replication(folder: Path, realized: Realized) -> None:
    """Replication ``realized`` as its two files, numbered from 1 (index + 1, four digits at
    least)."""
    number = realized.replication + 1
    _write_csv(folder / f"replication-{number:04d}.csv", ACTUALS_COLUMNS, realized.actuals)
    _write_csv(folder / f"events-{number:04d}.csv", EVENT_COLUMNS, realized.events)
