"""Reads for the landing page, the dashboard and the development mailbox."""

from allocations.accounts.models import Membership
from allocations.applications.models import Application
from allocations.calls.selectors import open_calls  # noqa: F401  (the landing page uses it)
from allocations.core.models import MailboxMessage, Notification


def dashboard_for(*, user) -> dict:
    """What a signed-in person sees first: organisations and applications."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__legal_name")
    )
    applications = (
        Application.objects.filter(project__members__user=user)
        .select_related("project", "call")
        .order_by("-updated_at")[:20]
    )
    return {"memberships": list(memberships), "applications": list(applications)}


def mailbox_messages(*, limit: int = 100):
    return MailboxMessage.objects.all()[:limit]


def notifications_for(*, user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_notification_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
