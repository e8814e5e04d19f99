"""Signals the applications area sends for higher areas (awards) to follow.

Sent inside the service's transaction, so a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# project_id=..., user_id=..., actor=...
team_member_added = Signal()
team_member_removed = Signal()
