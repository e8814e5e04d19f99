"""slurmrestd `v0.0.38` / `dbv0.0.38` (Slurm 22.05, Debian 12): the version we can run.

Its bugs, measured on this machine (SLURM-NOTES.md) and handled here or in the backend:

- GrpTRESMins is `max.tres.group.minutes`; the served OpenAPI document's
  `max.tres.minutes.total` is a different limit.
- Posting an account association (no `user` key) always replies with the error
  "Missing required field 'user'" although the change was made: that one error is
  harmless for those requests, and only for them.
- A modify that leaves out a TRES-list limit the association already has crashes
  slurmrestd: every list read is sent back (`raw_limits`), with only gres/gpu changed.
- A modify of an account association that is its parent's newest child is silently
  lost: the backend touches a sentinel account first (`needs_sentinel_touch`) and
  verifies with a GET.
- Lists in query strings are refused ("Unable to parse query"): one account per call,
  or the whole cluster.
- Jobs (GET /jobs): `start_time`/`end_time` must be local times without an offset
  (`2026-12-02T09:00:00`, colons percent-encoded by the client). Epochs, a `Z` or a
  `+05:00` suffix are refused ("Unable to parse time format", error 9000). "Local" is
  the time zone of the slurmrestd process, which we cannot ask for; we write the portal's
  TIME_ZONE. A daemon running in another zone shifts the window by the difference, which
  the ingestion's overlap (USAGE_OVERLAP_MINUTES) must then cover. `cluster` filters;
  "nothing found" is error 9003. A job is listed when it was eligible before end_time and
  ended after start_time or still runs. Times in replies are epochs (0 or null: not
  known); a running job has `end` 0.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from allocations.scheduler.backends.mappings import (
    Association,
    JobSnapshot,
    Request,
    from_epoch,
    gpu_count_in,
    gpu_minutes_in,
)
from allocations.scheduler.backends.mappings.common import (
    NOTHING_FOUND,
    SlurmdbMapping,
    dig,
    tres_with_gpu_minutes,
)

MISSING_USER = "Missing required field 'user'"


class Mapping(SlurmdbMapping):
    version = "v0.0.38"

    # --- reads -----------------------------------------------------------------------

    def parse_associations(self, body: dict) -> list[Association]:
        parsed = []
        for item in body.get("associations") or []:
            limits = item.get("max") or {}
            parsed.append(
                Association(
                    account=item["account"],
                    user=item.get("user") or None,
                    parent=item.get("parent_account") or None,
                    gpu_minutes=gpu_minutes_in(dig(limits, ("tres", "group", "minutes"))),
                    raw_limits=limits,
                )
            )
        return parsed

    def list_jobs(self, *, cluster: str, start: datetime, end: datetime) -> Request:
        query = {"cluster": cluster, "start_time": _local(start), "end_time": _local(end, up=True)}
        return Request("GET", self._db("jobs"), query=query, empty_error_numbers=(NOTHING_FOUND,))

    def parse_jobs(self, body: dict) -> list[JobSnapshot]:
        parsed = []
        for item in (body or {}).get("jobs") or []:
            if not isinstance(item, dict) or item.get("job_id") is None:
                continue
            times = item.get("time") or {}
            parsed.append(
                JobSnapshot(
                    cluster=item.get("cluster") or "",
                    job_id=int(item["job_id"]),
                    account=item.get("account") or "",
                    username=item.get("user") or "",
                    partition=item.get("partition") or "",
                    state=str((item.get("state") or {}).get("current") or ""),
                    start=from_epoch(times.get("start")),
                    end=from_epoch(times.get("end")),
                    elapsed_seconds=max(int(times.get("elapsed") or 0), 0),
                    gpus=gpu_count_in((item.get("tres") or {}).get("allocated")),
                )
            )
        return parsed

    def parse_user_names(self, body: dict) -> set[str]:
        return {user["name"] for user in body.get("users") or []}

    # --- writes ----------------------------------------------------------------------

    def set_account_limit(
        self, *, cluster: str, account: str, gpu_minutes: int, current: Association | None
    ) -> Request:
        association = {
            "account": account,
            "cluster": cluster,
            "parent_account": (current.parent if current else None) or "root",
            "max": {"tres": tres_with_gpu_minutes(current, gpu_minutes)},
        }
        return self._account_association(association)

    def touch_account(self, *, cluster: str, account: str) -> Request:
        """Post an account association unchanged (the sentinel of the newest-child bug)."""
        return self._account_association(
            {"account": account, "cluster": cluster, "parent_account": "root"}
        )

    def _account_association(self, association: dict) -> Request:
        # The `user` key must be absent ("" creates a broken row); the reply then always
        # says it is missing.
        return Request(
            "POST",
            self._db("associations"),
            body={"associations": [association]},
            harmless_errors=(MISSING_USER,),
        )


def _local(moment: datetime, *, up: bool = False) -> str:
    """The moment as a local time in whole seconds (rounded up for a window's end)."""
    if up and moment.microsecond:
        moment += timedelta(seconds=1)
    # The default zone (TIME_ZONE), not the active one a request may have switched to.
    return moment.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-%dT%H:%M:%S")
