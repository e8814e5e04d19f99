"""Who may act on an import case, and in which states.

Importers are the owners and members of the case's organisation; the import desk may look
at a case once it is submitted but never edit it. Every service locks the case through one
of the functions here before it checks the state and changes anything.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Membership, MembershipRole
from allocations.core.permissions import Capability, has_capability
from allocations.customs.models import CaseState, ImportCase

# Who acts for the organisation in import matters (billing contacts do not).
IMPORTER_ROLES = (MembershipRole.OWNER, MembershipRole.MEMBER)
EDITABLE_STATES = (CaseState.DRAFT, CaseState.CHANGES_REQUESTED)
# Documents arriving after approval (transport document, declaration) may still be added;
# nothing is removed once the desk has reviewed the file.
ATTACHABLE_STATES = (*EDITABLE_STATES, CaseState.APPROVED, CaseState.DECLARED, CaseState.MONITORING)


def is_importer(user, organisation_id: int) -> bool:
    return Membership.objects.filter(
        organisation_id=organisation_id, user=user, role__in=IMPORTER_ROLES
    ).exists()


def desk_may_see(case: ImportCase) -> bool:
    """The desk sees a case once it has been submitted (drafts stay the importer's)."""
    return case.submitted_at is not None


def lock_case(case_id: int) -> ImportCase:
    case = (
        ImportCase.objects.select_for_update(of=("self",))
        .select_related("organisation", "regime")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


def lock_for_importer(*, actor, case_id: int) -> ImportCase:
    """The case, locked, for an importer of its organisation: 404 for outsiders, 403 for
    the import desk (who may look at a submitted case, not change it)."""
    case = lock_case(case_id)
    if is_importer(actor, case.organisation_id):
        return case
    if has_capability(actor, Capability.MANAGE_IMPORTS) and desk_may_see(case):
        raise PermissionDenied
    raise Http404


def lock_for_participant(*, actor, case_id: int) -> tuple[ImportCase, str]:
    """The case, locked, and the side the actor is on: "importer" or "desk"."""
    case = lock_case(case_id)
    if is_importer(actor, case.organisation_id):
        return case, "importer"
    if has_capability(actor, Capability.MANAGE_IMPORTS) and desk_may_see(case):
        return case, "desk"
    raise Http404


def guard_editable(case: ImportCase) -> None:
    if case.state not in EDITABLE_STATES:
        raise ValidationError(
            _("This case can no longer be changed: it is “%(state)s”.")
            % {"state": case.get_state_display()}
        )


def lock_editable(*, actor, case_id: int) -> ImportCase:
    """The case, locked, for an importer who edits it: refused unless it is a draft or
    sent back for changes."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    return case


def first_or_404(queryset):
    """The first row of a query already narrowed to one case: a party, line, serial or file
    of another case is as unknown as a missing one."""
    found = queryset.first()
    if found is None:
        raise Http404
    return found
