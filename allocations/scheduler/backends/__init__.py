"""Ways of talking to the cluster's scheduler, behind one small interface.

- `dry-run` (the embedded default) changes nothing and records the sacctmgr commands
  it would run.
- `slurm-rest` talks to slurmrestd with a JWT; the REST API version is a setting and each
  version's JSON lives in its own module under `mappings/`.
"""

from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class AccountSpec:
    """The desired state of one Slurm account."""

    cluster: str
    account: str
    gpu_minutes: int
    users: tuple[str, ...]
    description: str = ""
    organization: str = ""


@dataclass(frozen=True)
class ObservedAccount:
    """What the cluster holds for one account: its GPU limit (None when unlimited) and
    the users with an association under it."""

    account: str
    gpu_minutes: int | None
    users: frozenset[str] = field(default_factory=frozenset)


class SchedulerError(Exception):
    """The scheduler refused or failed a request; the text is the scheduler's own."""


class SchedulerUnavailable(SchedulerError):
    """No usable answer: connection refused, timeout, a crashed or hung daemon."""


class Backend(Protocol):
    name: str

    def ensure_account(self, spec: AccountSpec) -> list[str]:
        """Converge the account to `spec`; return what was changed, one line each.

        Must be safe to repeat: a second call with the same spec changes nothing.
        """
        ...

    def read_cluster(self, cluster: str) -> dict[str, ObservedAccount]:
        """Every account of the cluster, read in bulk (not one call per account)."""
        ...


def get_backend(name: str | None = None) -> Backend:
    """The backend named in settings.SCHEDULER_BACKEND (or `name`)."""
    from allocations.scheduler.backends.dry_run import DryRunBackend
    from allocations.scheduler.backends.slurm_rest import SlurmRestBackend

    name = name or settings.SCHEDULER_BACKEND
    if name == DryRunBackend.name:
        return DryRunBackend()
    if name == SlurmRestBackend.name:
        return SlurmRestBackend.from_settings()
    raise ImproperlyConfigured(
        f"Unknown SCHEDULER_BACKEND {name!r}; choose {DryRunBackend.name!r} "
        f"or {SlurmRestBackend.name!r}"
    )
