"""Signals the accounts area sends for higher areas to follow (it imports none of them)."""

from django.dispatch import Signal

# Sent inside the transaction that changed a person's cluster username (user_id=...).
cluster_username_changed = Signal()
