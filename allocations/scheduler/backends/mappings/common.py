"""What every slurmdbd API version shares: the paths, the reads and writes whose JSON did
not change between versions, and copying an association's TRES limits for a modify.

A version's `Mapping` subclasses `SlurmdbMapping` and writes only what its JSON shape
changes: parsing replies, the job window, and the account association's writes.
"""

from typing import Any

from allocations.scheduler.backends.mappings import Association, Request, with_gpu_minutes

NOTHING_FOUND = 9003  # ESLURM_REST_EMPTY_RESULT
# Every TRES list under an association's `max.tres` (GrpTRES, GrpTRESMins, GrpTRESRunMins,
# MaxTRESRunMins, MaxTRESMinsPerJob, MaxTRESPerJob, MaxTRESPerNode).
TRES_LISTS = (
    ("total",),
    ("minutes", "total"),
    ("minutes", "per", "job"),
    ("group", "minutes"),
    ("group", "active"),
    ("per", "job"),
    ("per", "node"),
)


def dig(data: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in nested dicts; None where the path ends early."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def put(data: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def tres_with_gpu_minutes(current: Association | None, gpu_minutes: int) -> dict[str, Any]:
    """The `max.tres` of a modify: every TRES list read sent back, only gres/gpu of
    GrpTRESMins changed. A list left out would crash 22.05's slurmrestd and is removed by
    newer versions."""
    tres: dict[str, Any] = {}
    if current is not None:
        tres_read = dig(current.raw_limits, ("tres",)) or {}
        for path in TRES_LISTS:
            value = dig(tres_read, path)
            if value:
                put(tres, path, value)
    group = tres.setdefault("group", {})
    group["minutes"] = with_gpu_minutes(group.get("minutes"), gpu_minutes)
    return tres


class SlurmdbMapping:
    version: str
    needs_sentinel_touch = True
    # Error numbers of a write that found nothing to do (none before v0.0.42).
    no_change_errors: tuple[int, ...] = ()

    def _db(self, path: str) -> str:
        # The schemas list these paths with a trailing slash; slurmrestd matches them
        # either way (22.05 binds them with one too and answers the bare form).
        return f"/slurmdb/{self.version}/{path}"

    # --- reads -----------------------------------------------------------------------

    def list_associations(self, *, cluster: str, account: str | None = None) -> Request:
        query = {"cluster": cluster}
        if account:
            query["account"] = account
        return Request(
            "GET",
            self._db("associations"),
            query=query,
            empty_error_numbers=(NOTHING_FOUND,),
        )

    def list_users(self) -> Request:
        return Request("GET", self._db("users"), empty_error_numbers=(NOTHING_FOUND,))

    def errors(self, body: Any) -> list[dict]:
        if not isinstance(body, dict):
            return []
        return [e for e in body.get("errors") or [] if isinstance(e, dict)]

    # --- writes ----------------------------------------------------------------------

    def create_account(
        self, *, cluster: str, name: str, description: str, organization: str
    ) -> Request:
        # v0.0.42_account requires name, description and organization. No version makes
        # an association here; posting an existing account again is harmless (v0.0.42
        # rewrites those two).
        account = {"name": name, "description": description or name}
        account["organization"] = organization or "portal"
        return Request("POST", self._db("accounts"), body={"accounts": [account]})

    def create_users(self, *, names: list[str], default_account: str) -> Request:
        users = [{"name": name, "default": {"account": default_account}} for name in names]
        return Request("POST", self._db("users"), body={"users": users})

    def add_user_associations(self, *, cluster: str, account: str, users: list[str]) -> Request:
        # Only for missing associations: from v0.0.42 on, posting an existing one without
        # its TRES lists would remove its per-user TRES limits.
        associations = [{"account": account, "cluster": cluster, "user": u} for u in users]
        return Request("POST", self._db("associations"), body={"associations": associations})

    def remove_user_association(self, *, cluster: str, account: str, user: str) -> Request:
        return Request(
            "DELETE",
            self._db("association"),
            query={"account": account, "user": user, "cluster": cluster},
            empty_error_numbers=self.no_change_errors,  # already gone
        )
