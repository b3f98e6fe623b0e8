"""The integer codes the engines share, each family in one ``IntEnum``.

The compiler writes these codes into the arrays, the numba kernel and the
SimPy reference read them, and a result turns them back into names. numba
compiles a member (``Cause.MATERIAL``) as the constant it stands for, so the
kernels name codes instead of repeating numbers, and this module is the one
place that says what each number means.
"""

from __future__ import annotations

from enum import IntEnum

from riskengine.model.common import CAUSES


class Cause(IntEnum):
    """The miss causes of docs/design.md section 2, in report order: ``CAUSES[code]`` is the name."""

    MATERIAL = 0
    BREAKDOWN = 1
    PERFORMANCE = 2
    ABSENTEEISM = 3
    QUALITY = 4
    SETUP = 5
    PLANNING = 6
    LOCAL_DECISION = 7
    OPERATIONAL = 8
    KNOCK_ON = 9
    UNKNOWN = 10

    @property
    def label(self) -> str:
        """The cause's name in premises and results (``"local-decision"``)."""
        return CAUSES[self]

    @classmethod
    def named(cls, name: str) -> Cause:
        """The code of a cause name of :data:`riskengine.model.common.CAUSES`."""
        return cls(CAUSES.index(name))


N_CAUSES = len(Cause)


class Stream(IntEnum):
    """One random stream per disruption source (docs/design.md section 3: its own stream each), see
    :mod:`riskengine.simulation.rng`."""

    FAILURE = 1  # time to the next breakdown, per resource, k-th failure
    REPAIR = 2  # time to repair, per resource, k-th failure
    MATERIAL = 3  # lateness of a material lot
    ABSENCE = 4  # absenteeism, per resource and shift index
    PERFORMANCE = 5  # performance factor, per operation
    SCRAP = 6  # scrapped units, per operation
    SETUP = 7  # setup overrun factor, per operation (changeover)
    DEVIATION = 8  # operator deviation, per resource and decision
    RELIABILITY = 9  # the article's per-operation factors, per operation and factor
    RELIABILITY_DELAY = 10  # delay after a failed reliability factor
    PARAMETERS = 11  # outer-level parameter draws (parameter uncertainty), per draw and parameter
    DRIVER = 12  # shared drivers (common shocks), per replication and driver


class Sampler(IntEnum):
    """The code in column 0 of a distribution's row (:mod:`riskengine.simulation.sampling`)."""

    FIXED = 0
    EXPONENTIAL = 1
    LOGNORMAL = 2
    GAMMA = 3
    WEIBULL = 4
    NORMAL = 5
    UNIFORM = 6
    TRIANGULAR = 7
    PERT = 8
    EMPIRICAL = 9
    BETA = 10  # encoded as a PERT row on [0, 1]


class DeviationRule(IntEnum):
    """What an operator who deviates from the planned sequence takes instead
    (``operator.deviation.rule`` of the premises)."""

    SAME_FAMILY = 0  # the first ready operation of the family just run
    EASIEST_FIRST = 1  # the ready operation with the least work


class Target(IntEnum):
    """Where an uncertain parameter's value goes (:mod:`riskengine.simulation.parameters`)."""

    DIST = 0  # a parameter of a distribution row (column given)
    MAT_LATE = 1  # a material's probability of being late
    MAT_REJECT = 2  # a material's probability of being rejected
    ABSENCE = 3  # a resource's absenteeism probability
    SCRAP = 4  # a resource's scrap rate
    REL_FAIL = 5  # a reliability factor's reliability (its failure probability is 1 - value)
    DEVIATION = 6  # the operator's deviation probability
    DRIVER = 7  # a shared driver's probability


class Account(IntEnum):
    """The time accounting of one operation's execution (:mod:`riskengine.simulation.mechanics`),
    and the replication's event count (:mod:`riskengine.simulation.watchdog`)."""

    LOST_ABSENCE = 0  # clock hours lost to absent shifts (stop) or slow shifts
    GAP_CALENDAR = 1  # clock hours of non-working time crossed
    REPAIR = 2  # clock hours of repairs
    EVENTS = 3  # events of the replication so far
    LIMIT = 4  # the count at which the watchdog looks next
    BOUND = 5  # the replication's bound on events (0: none)
    STOP = 6  # > 0: the caller asked the run to stop


N_ACCOUNT = len(Account)


class Realized(IntEnum):
    """What an operation is at a forecast's as-of time (:class:`~riskengine.simulation.records.Initial`)."""

    PENDING = 0  # not started: simulated
    DONE = 1  # completed (or recorded as not executed) before the as-of time: realized
    RUNNING = 2  # started before the as-of time, not ended: its remaining work is simulated
