"""State changes of the core area."""

from django.utils import timezone

from allocations.core.models import Notification


def mark_notifications_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of `user` as read; returns how many changed.

    Reading a notice is not a state change of the domain, so no audit event is written.
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
