"""Reads for the landing page, the dashboard and the development mailbox."""

from django.db.models import Prefetch

from allocations.accounts.models import Membership
from allocations.applications.models import Application
from allocations.calls.models import Call, CallResource
from allocations.core.models import MailboxMessage


def open_calls(*, now):
    """Published calls open at `now`, with their capacities (two queries)."""
    from django.db.models import Q

    return (
        Call.objects.filter(is_published=True, opens_at__lte=now)
        .filter(Q(is_continuous=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .prefetch_related(
            Prefetch("capacities", queryset=CallResource.objects.select_related("resource"))
        )
        .order_by("closes_at", "title")
    )


def dashboard_for(*, user) -> dict:
    """What a signed-in person sees first: organisations and applications."""
    memberships = (
        Membership.objects.filter(user=user).select_related("organisation").order_by(
            "organisation__legal_name"
        )
    )
    applications = (
        Application.objects.filter(project__members__user=user)
        .select_related("project", "call")
        .order_by("-updated_at")[:20]
    )
    return {"memberships": list(memberships), "applications": list(applications)}


def mailbox_messages(*, limit: int = 100):
    return MailboxMessage.objects.all()[:limit]
