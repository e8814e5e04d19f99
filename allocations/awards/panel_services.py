"""The call manager's adjustments on the panel: order and proposed amount."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import Application, ApplicationState
from allocations.awards.models import PanelEntry
from allocations.core.audit import record
from allocations.core.permissions import Capability, require

RANKABLE_STATES = (ApplicationState.PANEL, ApplicationState.WAITLISTED)


@transaction.atomic
def update_panel_entry(
    *, actor, application_id: int, position: int | None, proposed_gpu_hours: int | None
) -> PanelEntry:
    """Set (or clear, with None) the manual position and the proposed GPU-hours."""
    require(actor, Capability.DECIDE)
    application = (
        Application.objects.select_for_update(of=("self",))
        .filter(pk=application_id)
        .exclude(state=ApplicationState.DRAFT)
        .first()
    )
    if application is None:
        raise Http404
    if application.state not in RANKABLE_STATES:
        raise ValidationError(
            _("Only applications on the panel or the waitlist can be ranked (this is %(state)s).")
            % {"state": application.get_state_display()}
        )
    if position is not None and position < 1:
        raise ValidationError({"position": _("The position starts at 1.")})
    if proposed_gpu_hours is not None and proposed_gpu_hours < 1:
        raise ValidationError({"proposed_gpu_hours": _("Propose at least 1 GPU-hour.")})
    entry, _created = PanelEntry.objects.get_or_create(application=application)
    before = {"position": entry.position, "proposed_gpu_hours": entry.proposed_gpu_hours}
    entry.position = position
    entry.proposed_gpu_hours = proposed_gpu_hours
    entry.save()
    record(
        actor=actor,
        verb="panel.entry_updated",
        target=application,
        data={
            "before": before,
            "after": {"position": position, "proposed_gpu_hours": proposed_gpu_hours},
        },
    )
    return entry
