"""The embedded default: changes nothing, says which sacctmgr commands it would run.

Its "cluster" is what it has recorded: every account as its last applied operation left
it. So on the embedded defaults reconcile finds no drift, as a perfect cluster would.
"""

import shlex

from django.db.models import F

from allocations.scheduler.backends import AccountSpec, ObservedAccount


class DryRunBackend:
    name = "dry-run"

    def ensure_account(self, spec: AccountSpec) -> list[str]:
        account = shlex.quote(spec.account)
        cluster = shlex.quote(spec.cluster)
        commands = [
            f"sacctmgr -i add account {account} cluster={cluster} parent=root "
            f"description={shlex.quote(spec.description or spec.account)}",
            f"sacctmgr -i modify account {account} where cluster={cluster} "
            f"set GrpTRESMins=gres/gpu={spec.gpu_minutes}",
        ]
        commands += [
            f"sacctmgr -i add user {shlex.quote(user)} account={account} cluster={cluster}"
            for user in spec.users
        ]
        # Every other user association under the account is removed.
        commands.append(
            f"# remove user associations of {account} other than: "
            + (", ".join(spec.users) or "(none)")
        )
        return commands

    def read_cluster(self, cluster: str) -> dict[str, ObservedAccount]:
        from allocations.scheduler.models import OperationState, SchedulerOperation

        applied = SchedulerOperation.objects.filter(
            account__cluster=cluster,
            state=OperationState.DONE,
            version=F("account__applied_version"),
        ).values_list("account__name", "gpu_minutes", "users")
        return {
            name: ObservedAccount(account=name, gpu_minutes=minutes, users=frozenset(users))
            for name, minutes, users in applied
        }
