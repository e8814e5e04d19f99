from allocations.core.permissions import capabilities_of
from allocations.core.selectors import unread_notification_count


def portal(request):
    """`caps`: the user's capabilities; `unread_count`: unread in-portal notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"caps": frozenset(), "unread_count": 0}
    return {
        "caps": capabilities_of(user),
        # Lazy: the count query runs only on pages that show the header.
        "unread_count": lambda: unread_notification_count(user=user),
    }
