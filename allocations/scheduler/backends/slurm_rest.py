"""The `slurm-rest` backend: converge accounts through slurmrestd (JWT).

The algorithm is the same for every API version: read the account's associations,
change only what differs, verify what a buggy version may have dropped. The JSON comes
from the mapping of the configured version.
"""

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from allocations.scheduler.backends import (
    AccountSpec,
    ObservedAccount,
    SchedulerError,
)
from allocations.scheduler.backends.http import RestClient
from allocations.scheduler.backends.mappings import (
    Association,
    JobSnapshot,
    Mapping,
    get_mapping,
)


def _token_reader(*, token: str, token_file: str):
    """The token, or a reader of the token file (re-read per request, so an operator's
    cron can rotate the short-lived JWT without restarting workers)."""
    if token_file:
        path = Path(token_file)
        return lambda: path.read_text().strip().removeprefix("SLURM_JWT=")
    return lambda: token


class SlurmRestBackend:
    name = "slurm-rest"

    def __init__(self, *, client: RestClient, mapping: Mapping, sentinel_account: str):
        self.client = client
        self.mapping = mapping
        self.sentinel = sentinel_account

    @classmethod
    def from_settings(cls) -> "SlurmRestBackend":
        if not settings.SLURM_REST_URL or not settings.SLURM_REST_USER:
            raise ImproperlyConfigured(
                "SCHEDULER_BACKEND=slurm-rest needs SLURM_REST_URL and SLURM_REST_USER"
            )
        if not settings.SLURM_REST_TOKEN and not settings.SLURM_REST_TOKEN_FILE:
            raise ImproperlyConfigured(
                "SCHEDULER_BACKEND=slurm-rest needs SLURM_REST_TOKEN or SLURM_REST_TOKEN_FILE"
            )
        mapping = get_mapping(settings.SLURM_REST_API_VERSION)
        client = RestClient(
            base_url=settings.SLURM_REST_URL,
            user=settings.SLURM_REST_USER,
            token=_token_reader(
                token=settings.SLURM_REST_TOKEN, token_file=settings.SLURM_REST_TOKEN_FILE
            ),
            timeout=settings.SLURM_REST_TIMEOUT,
            errors=mapping.errors,
        )
        return cls(client=client, mapping=mapping, sentinel_account=settings.SLURM_SENTINEL_ACCOUNT)

    # --- reads -----------------------------------------------------------------------

    def _associations(self, cluster: str, account: str) -> list[Association]:
        body = self.client.send(self.mapping.list_associations(cluster=cluster, account=account))
        return [a for a in self.mapping.parse_associations(body) if a.account == account]

    def read_cluster(self, cluster: str) -> dict[str, ObservedAccount]:
        body = self.client.send(self.mapping.list_associations(cluster=cluster))
        return observed_accounts(self.mapping.parse_associations(body))

    def read_jobs(self, *, cluster: str, start: datetime, end: datetime) -> list[JobSnapshot]:
        """Every job of the cluster that ran (or waited) during [start, end), in one call."""
        body = self.client.send(self.mapping.list_jobs(cluster=cluster, start=start, end=end))
        # slurmdbd may keep several clusters; a job without its cluster is the one asked for.
        return [
            job if job.cluster else replace(job, cluster=cluster)
            for job in self.mapping.parse_jobs(body)
            if job.cluster in (cluster, "")
        ]

    # --- convergence -----------------------------------------------------------------

    def ensure_account(self, spec: AccountSpec) -> list[str]:
        m, send = self.mapping, self.client.send
        current = self._associations(spec.cluster, spec.account)
        own = next((a for a in current if a.user is None), None)
        present = {a.user for a in current if a.user}
        wanted = set(spec.users)
        actions: list[str] = []

        if own is None:
            send(
                m.create_account(
                    cluster=spec.cluster,
                    name=spec.account,
                    description=spec.description,
                    organization=spec.organization,
                )
            )
            actions.append(f"created account {spec.account}")
        if own is None or own.gpu_minutes != spec.gpu_minutes:
            self._set_limit(spec, own)
            was = "none" if own is None or own.gpu_minutes is None else own.gpu_minutes
            actions.append(f"GrpTRESMins gres/gpu {was} → {spec.gpu_minutes}")

        missing = sorted(wanted - present)
        if missing:
            known = m.parse_user_names(send(m.list_users()))
            new_users = [u for u in missing if u not in known]
            if new_users:
                send(m.create_users(names=new_users, default_account=spec.account))
                actions.append("created users " + ", ".join(new_users))
            send(m.add_user_associations(cluster=spec.cluster, account=spec.account, users=missing))
            actions.append("added " + ", ".join(missing))
        for user in sorted(present - wanted):
            send(m.remove_user_association(cluster=spec.cluster, account=spec.account, user=user))
            actions.append(f"removed {user}")

        if actions:
            self._verify(spec)
        return actions

    def _set_limit(self, spec: AccountSpec, own: Association | None) -> None:
        request = self.mapping.set_account_limit(
            cluster=spec.cluster, account=spec.account, gpu_minutes=spec.gpu_minutes, current=own
        )
        if own is not None and self.mapping.needs_sentinel_touch:
            # The modify is lost if this account is its parent's newest child; touching
            # the sentinel right before makes it not the newest (SLURM-NOTES.md).
            self.client.send(
                self.mapping.touch_account(cluster=spec.cluster, account=self.sentinel)
            )
        self.client.send(request)

    def _verify(self, spec: AccountSpec) -> None:
        """Read back; a change the scheduler dropped silently is an error (retried)."""
        observed = observed_accounts(self._associations(spec.cluster, spec.account))
        found = observed.get(spec.account)
        if found is None:
            raise SchedulerError(f"account {spec.account} is still missing after creating it")
        if found.gpu_minutes != spec.gpu_minutes:
            raise SchedulerError(
                f"GrpTRESMins gres/gpu of {spec.account} reads {found.gpu_minutes} after "
                f"setting {spec.gpu_minutes}: the change was not applied"
            )
        if found.users != frozenset(spec.users):
            raise SchedulerError(
                f"users of {spec.account} read {sorted(found.users)} after setting "
                f"{sorted(spec.users)}"
            )


def observed_accounts(associations: list[Association]) -> dict[str, ObservedAccount]:
    """Group associations by account. Accounts without their own association are absent
    (they cannot run anything, so for the portal they are missing)."""
    limits: dict[str, int | None] = {}
    users: dict[str, set[str]] = {}
    for association in associations:
        if association.user is None:
            limits[association.account] = association.gpu_minutes
        else:
            users.setdefault(association.account, set()).add(association.user)
    return {
        account: ObservedAccount(
            account=account, gpu_minutes=limit, users=frozenset(users.get(account, ()))
        )
        for account, limit in limits.items()
    }
