"""Ways of talking to the cluster's scheduler, behind one small interface.

Only `dry-run` exists for now: it records the sacctmgr commands it would run. A
`slurm-rest` backend (slurmrestd) comes with the scheduler issue and plugs in here.
"""

import shlex
from dataclasses import dataclass
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
    description: str


class Backend(Protocol):
    name: str

    def ensure_account(self, spec: AccountSpec) -> dict:
        """Converge the account to `spec`; return what was done, JSON-serialisable."""
        ...


class DryRunBackend:
    """Changes nothing; returns the sacctmgr commands that would converge the account."""

    name = "dry-run"

    def ensure_account(self, spec: AccountSpec) -> dict:
        account = shlex.quote(spec.account)
        cluster = shlex.quote(spec.cluster)
        commands = [
            f"sacctmgr -i add account {account} cluster={cluster} "
            f"description={shlex.quote(spec.description)}",
            f"sacctmgr -i modify account {account} cluster={cluster} "
            f"set GrpTRESMins=gres/gpu={spec.gpu_minutes}",
        ]
        commands += [
            f"sacctmgr -i add user {shlex.quote(user)} account={account} cluster={cluster}"
            for user in spec.users
        ]
        return {"commands": commands}


BACKENDS: dict[str, type] = {DryRunBackend.name: DryRunBackend}


def get_backend(name: str | None = None) -> Backend:
    """The backend named in settings.SCHEDULER_BACKEND (or `name`)."""
    name = name or settings.SCHEDULER_BACKEND
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Unknown SCHEDULER_BACKEND {name!r}; choose one of {sorted(BACKENDS)}"
        ) from None
