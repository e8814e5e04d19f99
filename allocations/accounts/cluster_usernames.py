"""Cluster usernames: the Linux/Slurm login each person uses on the cluster.

A user association on the cluster is made for this name, so it must be a valid Linux
login, unique across the portal, and never one of the system's own accounts.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import User
from allocations.accounts.signals import cluster_username_changed
from allocations.core.audit import record
from allocations.core.permissions import Capability, has_capability

# POSIX-portable, as useradd accepts by default: a lower-case letter or underscore first.
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{1,31}$")
RESERVED = frozenset(
    {
        "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp",
        "proxy", "www-data", "backup", "list", "irc", "nobody", "systemd-network", "sshd",
        "messagebus", "slurm", "slurmrest", "munge", "mysql", "postgres", "redis", "portal",
        "admin", "administrator", "operator", "guest",
    }
)  # fmt: skip


def clean_cluster_username(value: str) -> str:
    username = value.strip().lower()
    if not USERNAME.match(username):
        raise ValidationError(
            _(
                "Use 2 to 32 characters: lower-case Latin letters, digits, '_' or '-', "
                "starting with a letter or '_' (for example a.serikbay → aserikbay)."
            ),
            code="format",
        )
    if username in RESERVED:
        raise ValidationError(
            _("“%(name)s” is reserved for the system. Use your own login.") % {"name": username},
            code="reserved",
        )
    return username


@transaction.atomic
def set_cluster_username(*, actor, user_id: int, username: str) -> User:
    """Set (or change) a person's cluster username: their own, or anyone's for user admins.

    Higher areas follow the change (cluster_username_changed): the person's allocations
    get the new name on the cluster and lose the old one.
    """
    if actor.pk != user_id and not has_capability(actor, Capability.MANAGE_USERS):
        raise PermissionDenied
    username = clean_cluster_username(username)
    user = User.objects.select_for_update().get(pk=user_id)
    if user.cluster_username == username:
        return user
    taken = User.objects.filter(cluster_username=username).exclude(pk=user.pk).exists()
    if taken:
        raise ValidationError({"cluster_username": _("This cluster username is already taken.")})
    previous = user.cluster_username or ""
    user.cluster_username = username
    try:
        with transaction.atomic():
            user.save(update_fields=["cluster_username"])
    except IntegrityError:  # taken by a concurrent request since the check above
        raise ValidationError(
            {"cluster_username": _("This cluster username is already taken.")}
        ) from None
    record(
        actor=actor,
        verb="user.cluster_username_set",
        target=user,
        data={"from": previous, "to": username},
    )
    cluster_username_changed.send(sender=User, user_id=user.pk)
    return user
