"""The JSON of each slurmrestd API version, one module per version.

A mapping builds `Request`s and parses replies into `Association`s and `JobSnapshot`s;
it never does I/O.
The slurm-rest backend holds the algorithm (read, compare, change, verify) and asks the
mapping of the configured version (`SLURM_REST_API_VERSION`) for the shapes.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

GPU_TRES = ("gres", "gpu")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    # Errors in the reply that are known to be harmless for this request (a version's
    # bugs), matched on their description; and error numbers meaning "nothing found".
    harmless_errors: tuple[str, ...] = ()
    empty_error_numbers: tuple[int, ...] = ()


@dataclass(frozen=True)
class Association:
    """One association as read: the account's own (user None) or a user's under it."""

    account: str
    user: str | None
    parent: str | None
    gpu_minutes: int | None  # GrpTRESMins for gres/gpu; None when not set
    # The association's limits exactly as read, so a modify can send them back.
    raw_limits: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """One job as slurmdbd reported it. `start` is None for a job that never started;
    `end` is None while it runs (its elapsed time then grows until it ends)."""

    cluster: str
    job_id: int
    account: str
    username: str
    partition: str
    state: str
    start: datetime | None
    end: datetime | None
    elapsed_seconds: int
    gpus: int


class Mapping(Protocol):
    version: str
    # v0.0.38 loses a modify of an account association that is its parent's newest child.
    needs_sentinel_touch: bool

    def list_associations(self, *, cluster: str, account: str | None = None) -> Request: ...

    def parse_associations(self, body: dict) -> list[Association]: ...

    def list_users(self) -> Request: ...

    def parse_user_names(self, body: dict) -> set[str]: ...

    def create_account(
        self, *, cluster: str, name: str, description: str, organization: str
    ) -> Request: ...

    def set_account_limit(
        self, *, cluster: str, account: str, gpu_minutes: int, current: Association | None
    ) -> Request: ...

    def touch_account(self, *, cluster: str, account: str) -> Request: ...

    def create_users(self, *, names: list[str], default_account: str) -> Request: ...

    def add_user_associations(self, *, cluster: str, account: str, users: list[str]) -> Request: ...

    def remove_user_association(self, *, cluster: str, account: str, user: str) -> Request: ...

    def list_jobs(self, *, cluster: str, start: datetime, end: datetime) -> Request: ...

    def parse_jobs(self, body: dict) -> list[JobSnapshot]: ...

    def errors(self, body: Any) -> list[dict]: ...


def get_mapping(version: str) -> Mapping:
    from allocations.scheduler.backends.mappings import v0_0_38, v0_0_42

    mappings = {m.version: m for m in (v0_0_38.Mapping(), v0_0_42.Mapping())}
    try:
        return mappings[version]
    except KeyError:
        raise ImproperlyConfigured(
            f"Unsupported SLURM_REST_API_VERSION {version!r}; supported: {sorted(mappings)}"
        ) from None


def gpu_minutes_in(tres_list: list[dict] | None) -> int | None:
    """The gres/gpu count in a list of TRES entries, or None when it is not there."""
    for entry in tres_list or []:
        if (entry.get("type"), entry.get("name")) == GPU_TRES:
            count = entry.get("count")
            return None if count is None or count < 0 else int(count)
    return None


def with_gpu_minutes(tres_list: list[dict] | None, gpu_minutes: int) -> list[dict]:
    """The TRES list with gres/gpu set to `gpu_minutes`, every other entry kept as it was."""
    kept = [e for e in tres_list or [] if (e.get("type"), e.get("name")) != GPU_TRES]
    return [*kept, {"type": "gres", "name": "gpu", "count": int(gpu_minutes)}]


def gpu_count_in(tres_list: list[dict] | None) -> int:
    """Allocated gres/gpu of a job's TRES list; 0 for a job without GPUs.

    Read for every job of a bulk read, so it looks from the end: Slurm lists TRES by id,
    and gres (ids above 1000) come last.
    """
    for entry in reversed(tres_list or ()):
        if entry.get("name") == "gpu" and entry.get("type") == "gres":
            count = entry.get("count")
            return int(count) if count and count > 0 else 0
    return 0


def from_epoch(value: int | None) -> datetime | None:
    """An aware UTC datetime from a Slurm timestamp; 0 and None mean "not (yet) known"."""
    if not value or value < 0:
        return None
    return datetime.fromtimestamp(value, UTC)
