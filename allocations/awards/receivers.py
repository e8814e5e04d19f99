"""The awards area follows changes made in lower areas (team, cluster usernames).

Connected in AllocationsConfig.ready(). Receivers run inside the sender's transaction.
"""

from django.dispatch import receiver

from allocations.accounts.signals import cluster_username_changed
from allocations.applications.signals import team_member_added, team_member_removed
from allocations.awards import member_services


@receiver(team_member_added)
def _team_member_added(sender, *, project_id, user_id, actor, **kwargs):
    member_services.follow_team_join(project_id=project_id, user_id=user_id, actor=actor)


@receiver(team_member_removed)
def _team_member_removed(sender, *, project_id, user_id, actor, **kwargs):
    member_services.follow_team_leave(project_id=project_id, user_id=user_id, actor=actor)


@receiver(cluster_username_changed)
def _cluster_username_changed(sender, *, user_id, **kwargs):
    member_services.follow_username_change(user_id=user_id)
