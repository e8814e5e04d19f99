"""Writing audit events. Every service that changes state calls record()."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from allocations.core.models import AuditEvent


def record(
    *,
    actor,
    verb: str,
    target: models.Model,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Store one audit event for `target`. Call inside the service's transaction."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        from_state=from_state or "",
        to_state=to_state or "",
        data=data or {},
    )


def timeline_for(target: models.Model):
    """Audit events of one object, oldest first, with their actors (one query)."""
    return (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
