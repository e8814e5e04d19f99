"""The import desk's actions on an issued confirmation."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.customs.case_services import is_importer
from allocations.customs.models import Confirmation

REASON_MAX_LENGTH = 2000


def confirmation_for_desk(*, user, case_pk: int) -> Confirmation:
    """The confirmation of a case, for the import desk (the view checks the capability);
    404 when the case has none."""
    require(user, Capability.MANAGE_IMPORTS)
    confirmation = (
        Confirmation.objects.select_related("case__organisation", "case__regime")
        .filter(case_id=case_pk)
        .first()
    )
    if confirmation is None:
        raise Http404
    return confirmation


@transaction.atomic
def revoke_confirmation(*, actor, case_id: int, reason: str, now) -> Confirmation:
    """Revoke the confirmation of case `case_id`, with the reason (required).

    The document stays as it was issued; the public verification page shows it as revoked
    from now on. Revoking twice is refused. Import desk only, and not a desk member who also
    acts for the importing organisation.
    """
    require(actor, Capability.MANAGE_IMPORTS)
    confirmation = (
        Confirmation.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(case_id=case_id)
        .first()
    )
    if confirmation is None:
        raise Http404
    if is_importer(actor, confirmation.case.organisation_id):
        # Like deciding a case: not by someone who also acts for the importer.
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the confirmation is revoked.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": _("Keep the reason under %(limit)s characters.")
                % {"limit": REASON_MAX_LENGTH}
            }
        )
    if confirmation.revoked_at is not None:
        raise ValidationError(_("This confirmation has already been revoked."))
    confirmation.revoked_at = now
    confirmation.revoke_reason = reason
    confirmation.save(update_fields=["revoked_at", "revoke_reason"])
    record(
        actor=actor,
        verb="import_case.confirmation_revoked",
        target=confirmation.case,
        data={"registry_number": confirmation.registry_number, "reason": reason},
    )
    return confirmation
