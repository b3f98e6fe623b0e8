"""Every replication ends: a bound on its events, and a stop the caller can request.

A replication's *events* are the steps of its clocks that do not finish what
they run: a move to the next working interval of a calendar, to the next
shift (present or absent), to the next breakdown of a machine
(:mod:`riskengine.simulation.mechanics`), and a resource waiting again for a
routing predecessor (:mod:`riskengine.simulation.kernel`). Everything else a
replication does is bounded by the plan's size alone (each operation starts
once; docs/design.md section 6). Both engines count events in the slots
``EVENTS .. STOP`` of the time-accounting array both already pass to the time
mechanics (:class:`~riskengine.simulation.codes.Account`), so counting costs
no new argument and nothing on the common path: an operation that finishes
inside its first working segment takes no event.

:func:`event_bound` gives the bound (derivation in its docstring and in
docs/design.md section 6). Past it the time mechanics return ``inf`` at once
(as when a calendar runs out), the replication ends, and its runner raises
:class:`ReplicationOverrun` naming the seed and the replication (the caller
adds the plan): an internal error, never a hang.

Stopping: :class:`StopFlag` is a :class:`threading.Event` whose ``set()``
also writes the ``STOP`` slot of every accounting array attached to it (one
per chunk of replications running). The kernel reads that slot every
:data:`CHECK_EVERY` events with an atomic load (never cached in a register,
so the write of another thread is seen), and the runner before every
replication: a run stops within one replication, however long, and raises
:class:`Stopped`.
"""

from __future__ import annotations

import threading

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from riskengine._jit import fused_entry, inner_jit, leaf_jit
from riskengine.model.premises import MIN_MTBF_HOURS
from riskengine.simulation.codes import Account

#: Events between two looks at the stop flag (a few milliseconds of the slowest steps).
CHECK_EVERY = 2**16
#: The floor of every bound: events a replication may always take.
BASE_EVENTS = 2**20
#: How many times the laid-out time span T a resource's clock may cover in busy time.
SPAN_FACTOR = 64
#: Weeks of calendar laid out past the horizon or the last planned end (as the compiler does).
MARGIN_HOURS = 8 * 7 * 24.0
#: The largest bound (a count of events held exactly in a float64 slot).
MAX_BOUND = float(2**52)


class ReplicationOverrun(RuntimeError):
    """A replication took more events than its bound (:func:`event_bound`): an internal error."""

    def __init__(self, seed: int, replication: int, bound: float, plan: str | None = None):
        self.seed, self.replication, self.bound, self.plan = seed, replication, bound, plan
        where = f"plan {plan!r}, " if plan is not None else ""
        super().__init__(f"{where}seed {seed}, replication {replication}: more than {bound:.0f} events "
                         "(the bound of docs/design.md section 6); the simulation was stopped there")

    def __reduce__(self):  # pickled whole (a Dask worker's error reaches the caller as itself)
        return ReplicationOverrun, (self.seed, self.replication, self.bound, self.plan)

    def of_plan(self, plan: str) -> ReplicationOverrun:
        """The same error naming ``plan``."""
        return ReplicationOverrun(self.seed, self.replication, self.bound, plan)


class Stopped(Exception):
    """A run stopped because its :class:`StopFlag` was set."""


def event_bound(c) -> float:
    """The bound on the events of one replication of the compiled model ``c``.

    With T = max(horizon end, last planned end) + 8 weeks (the time span the
    compiler lays calendars out for) and T_w = 64 T:

        B = 2^20 + (n + 1) R + sum_r (I_r + T_w / s_r + 200 T_w)   (the last term for r with breakdowns)

    (n operations, R resources, I_r working intervals of resource r, s_r its
    shift length), at most 2^52. Why: events of one resource move its clock to
    distinct instants, because its operations run one after another and a step
    ends strictly later than it starts (:func:`riskengine.simulation.mechanics.shift_index`);
    so over busy time up to T_w its calendar steps are at most I_r and its
    shift steps at most T_w / s_r, and its breakdowns arrive over processing
    work, at most T_w hours, with a mean time between failures of at least
    0.01 h: on average at most lambda = 100 T_w failures, one step each (the
    factor 2 covers the Poisson tail: P(N >= 2 lambda) <= e^(-0.38 lambda), by
    Chernoff's bound). A resource waits again for a routing
    predecessor at most once at first and once per operation started (each start
    wakes every waiting resource once): (n + 1) R. The floor 2^20 leaves small plans room for any
    tail. A replication that passes B either runs its clocks over 64 times the
    plan's span or draws times between failures below the validated floor
    (an uncertain MTBF drawn in its lowest 0.1%): both are internal errors to
    report, not hangs.
    """
    span = max(float(c.n_buckets * c.bucket_hours), float(np.max(c.op_end, initial=0.0))) + MARGIN_HOURS
    busy = SPAN_FACTOR * span
    intervals = np.diff(c.cal_ptr).astype(float)
    shifts = busy / np.where(c.res_shift_hours > 0.0, c.res_shift_hours, np.inf)
    failures = np.where(c.res_tbf_row != 0, 2.0 * busy / MIN_MTBF_HOURS, 0.0)
    bound = BASE_EVENTS + float(c.n_ops + 1) * c.n_resources + float(np.sum(intervals + shifts + failures))
    return min(bound, MAX_BOUND)


# -- the counter, read by compiled code ------------------------------------------------------------

@intrinsic
def load_relaxed(typingctx, array, index):
    """``array[index]`` of a float64 array by an atomic (monotonic) load: the compiler never keeps
    it in a register nor moves it out of a loop, so a value another thread writes is seen."""
    if not (isinstance(array, types.Array) and array.dtype == types.float64
            and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
        bits = builder.load_atomic(builder.bitcast(ptr, ir.IntType(64).as_pointer()), "monotonic", 8)
        return builder.bitcast(bits, ir.DoubleType())

    return types.float64(array, index), codegen


@inner_jit
def look(account: np.ndarray) -> bool:
    """The slow path of :func:`tick`: whether the replication must end (its bound passed, or a
    stop requested); otherwise when to look next. An account of zeros has no bound (callers
    of the time mechanics outside the engines, such as tests)."""
    events = account[Account.EVENTS]
    bound = account[Account.BOUND]
    if bound <= 0.0:
        account[Account.LIMIT] = events + CHECK_EVERY
        return False
    stopped = load_relaxed(account, np.int64(Account.STOP))  # type: ignore[call-arg, var-annotated]  # an intrinsic
    if events > bound or stopped > 0.0:
        return True
    account[Account.LIMIT] = min(bound, events + CHECK_EVERY)
    return False


@fused_entry
def tick(account: np.ndarray) -> bool:
    """Count one event (module docstring); True when the replication must end."""
    account[Account.EVENTS] += 1.0
    return account[Account.EVENTS] > account[Account.LIMIT] and look(account)


@leaf_jit
def arm(account: np.ndarray, bound: float) -> None:
    """Start a replication's count: no event yet, at most ``bound``."""
    account[Account.EVENTS] = 0.0
    account[Account.BOUND] = bound
    account[Account.LIMIT] = min(bound, float(CHECK_EVERY))


@fused_entry
def ended(account: np.ndarray) -> bool:
    """Whether the replication counted in ``account`` was cut short (bound passed or stopped)."""
    stopped = load_relaxed(account, np.int64(Account.STOP)) > 0.0  # type: ignore[call-arg]
    return stopped or 0.0 < account[Account.BOUND] < account[Account.EVENTS]


def check(account: np.ndarray, seed: int, replication: int) -> None:
    """Raise :class:`Stopped` or :class:`ReplicationOverrun` if replication ``replication``,
    counted in ``account``, was cut short."""
    if account[Account.STOP] > 0.0:
        raise Stopped
    if 0.0 < account[Account.BOUND] < account[Account.EVENTS]:
        raise ReplicationOverrun(seed, replication, account[Account.BOUND])


class StopFlag(threading.Event):
    """A :class:`threading.Event` that compiled replications see: ``set()`` also writes the
    ``STOP`` slot of every accounting array attached (module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._accounts: dict[int, np.ndarray] = {}

    def attach(self, account: np.ndarray) -> None:
        """Let ``account``'s replications see this flag (at once if it is set already)."""
        with self._lock:
            self._accounts[id(account)] = account
            if self.is_set():
                account[Account.STOP] = 1.0

    def detach(self, account: np.ndarray) -> None:
        with self._lock:
            self._accounts.pop(id(account), None)

    def set(self) -> None:
        with self._lock:
            super().set()
            for account in self._accounts.values():
                account[Account.STOP] = 1.0
