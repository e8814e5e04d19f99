"""Where job records come from.

With SCHEDULER_BACKEND=slurm-rest they are read from slurmdbd through slurmrestd (the
configured API version's mapping parses them). On the embedded defaults (dry-run) a demo
generator makes up jobs for the portal's active allocations, in the JSON shape of
slurmrestd v0.0.38 and parsed by the same mapping code, so dashboards and alerts have
something to show.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from django.conf import settings

from allocations.scheduler.backends.mappings import JobSnapshot


class JobSource(Protocol):
    name: str  # stored on IngestRun.source

    def read_jobs(self, *, cluster: str, start: datetime, end: datetime) -> Iterable[JobSnapshot]:
        """Every job of `cluster` that ran during [start, end), running ones included.

        May be lazy; a failure while iterating fails the ingestion and writes nothing.
        """
        ...


def get_source() -> JobSource:
    from allocations.scheduler.backends.slurm_rest import SlurmRestBackend
    from allocations.usage.demo_source import DemoSource

    if settings.SCHEDULER_BACKEND == "slurm-rest":
        return SlurmRestBackend.from_settings()
    return DemoSource()
