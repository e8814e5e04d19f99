from allocations.core.permissions import capabilities_of


def portal(request):
    """Exposes the current user's capabilities to templates as `caps`."""
    user = getattr(request, "user", None)
    caps = capabilities_of(user) if user is not None else frozenset()
    return {"caps": caps}
