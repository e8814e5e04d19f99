"""The importer's side of an import case: create it, edit its contract, parties, equipment
lines, serial numbers and attachments while it is a draft (or sent back for changes), and
comment on it.

Importers are the owners and members of the case's organisation. Every function locks the
case, checks who acts (404 for outsiders, 403 for the import desk, who may see a submitted
case but never edit it), guards the state, changes it and writes one audit event.

The case itself, its comments and the deletion of a draft are here; who may act is in
case_access, and the parts of a case have a module each (case_party_services,
case_line_services, case_serial_services, case_attachment_services). Every name stays
importable from here.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.accounts.models import Organisation
from allocations.billing.numbering import take_number
from allocations.core.audit import record
from allocations.customs.case_access import (
    ATTACHABLE_STATES,
    EDITABLE_STATES,
    IMPORTER_ROLES,
    desk_may_see,
    guard_editable,
    is_importer,
    lock_case,
    lock_editable,
    lock_for_importer,
    lock_for_participant,
)
from allocations.customs.case_attachment_services import add_attachment, remove_attachment
from allocations.customs.case_editing import CURRENCIES, clean_currency, save_changed
from allocations.customs.case_line_services import (
    LINE_FIELDS,
    add_line,
    normalised_hs_code,
    remove_line,
    update_line,
)
from allocations.customs.case_party_services import add_party, remove_party, update_party
from allocations.customs.case_serial_services import (
    MAX_LISTED_PROBLEMS,
    SERIAL_MAX_LENGTH,
    clear_line_serials,
    import_serials,
    remove_serial,
)
from allocations.customs.models import (
    CaseComment,
    CaseParty,
    CaseState,
    ImportCase,
    Incoterms,
    PartyRole,
    PreferenceRegime,
)

__all__ = [
    "ATTACHABLE_STATES",
    "CASE_FIELDS",
    "CASE_REFERENCE_SERIES",
    "CURRENCIES",
    "EDITABLE_STATES",
    "IMPORTER_ROLES",
    "LINE_FIELDS",
    "MAX_LISTED_PROBLEMS",
    "SERIAL_MAX_LENGTH",
    "add_attachment",
    "add_comment",
    "add_line",
    "add_party",
    "clean_currency",
    "clear_line_serials",
    "create_case",
    "delete_draft",
    "desk_may_see",
    "guard_editable",
    "import_serials",
    "is_importer",
    "lock_case",
    "lock_editable",
    "lock_for_importer",
    "lock_for_participant",
    "normalised_hs_code",
    "remove_attachment",
    "remove_line",
    "remove_party",
    "remove_serial",
    "take_sequence_value",
    "update_case",
    "update_line",
    "update_party",
]

CASE_REFERENCE_SERIES = "IMPCASE"


def take_sequence_value(*, series: str, year: int) -> int:
    """The next value of a gapless yearly series (NumberSequence, row-locked; rolls back
    with the caller's transaction)."""
    return int(take_number(series=series, year=year).rsplit("-", 1)[1])


def _new_reference(year: int) -> str:
    while True:  # skips references made elsewhere (fixtures, imports)
        value = take_sequence_value(series=CASE_REFERENCE_SERIES, year=year)
        reference = f"IMP-{year}-{value:05d}"
        if not ImportCase.objects.filter(reference=reference).exists():
            return reference


# --- The case --------------------------------------------------------------------


def _active_regime(regime_id) -> PreferenceRegime:
    regime = PreferenceRegime.objects.filter(pk=regime_id, is_active=True).first()
    if regime is None:
        raise ValidationError({"regime": _("Choose a regime that is open for new cases.")})
    return regime


@transaction.atomic
def create_case(*, actor, organisation_id: int, regime_id: int, title: str, now) -> ImportCase:
    """A draft case of one of the actor's organisations (owner or member), its importer
    party filled in from the organisation."""
    organisation = (
        Organisation.objects.filter(
            pk=organisation_id, memberships__user=actor, memberships__role__in=IMPORTER_ROLES
        )
        .distinct()
        .first()
    )
    if organisation is None:
        raise ValidationError(
            {"organisation": _("Choose an organisation in which you are an owner or member.")}
        )
    regime = _active_regime(regime_id)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the case a title.")})
    case = ImportCase.objects.create(
        organisation=organisation,
        regime=regime,
        reference=_new_reference(now.year),
        title=title,
        created_by=actor,
    )
    CaseParty.objects.create(
        case=case,
        role=PartyRole.IMPORTER,
        name=organisation.legal_name,
        country=organisation.country,
        bin=organisation.bin or "",
        address=organisation.address,
    )
    record(
        actor=actor,
        verb="import_case.created",
        target=case,
        to_state=CaseState.DRAFT,
        data={"organisation_id": organisation.pk, "regime": regime.code},
    )
    return case


CASE_FIELDS = (
    "title",
    "regime_id",
    "contract_number",
    "contract_date",
    "incoterms",
    "currency",
    "dispatch_country",
    "planned_import_date",
    "installation_site",
)


@transaction.atomic
def update_case(*, actor, case_id: int, values: dict) -> ImportCase:
    """Save the case's title, regime, contract, planned import date and site (all or
    nothing). `values` holds any of CASE_FIELDS."""
    case = lock_editable(actor=actor, case_id=case_id)
    values = {name: value for name, value in values.items() if name in CASE_FIELDS}
    errors: dict[str, list] = {}
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
        if not values["title"]:
            errors["title"] = [_("Give the case a title.")]
    if "regime_id" in values and values["regime_id"] != case.regime_id:
        try:
            values["regime_id"] = _active_regime(values["regime_id"]).pk
        except ValidationError as error:
            errors.update(error.message_dict)
    if "currency" in values:
        try:
            values["currency"] = clean_currency(values["currency"], field="currency")
        except ValidationError as error:
            errors.update(error.message_dict)
    if "dispatch_country" in values:
        values["dispatch_country"] = (values["dispatch_country"] or "").strip().upper()
        if values["dispatch_country"] and not countries.name(values["dispatch_country"]):
            errors["dispatch_country"] = [_("Choose the country of dispatch from the list.")]
    if values.get("incoterms") and values["incoterms"] not in Incoterms.values:
        errors["incoterms"] = [_("Choose one of the Incoterms 2020 rules.")]
    for name in ("contract_number", "installation_site"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if errors:
        raise ValidationError(errors)
    changed = save_changed(case, values)
    if changed:
        record(
            actor=actor,
            verb="import_case.updated",
            target=case,
            data={"changed": [name.removesuffix("_id") for name in changed]},
        )
    return case


# --- Comments and deletion -------------------------------------------------------------


@transaction.atomic
def add_comment(*, actor, case_id: int, body: str) -> CaseComment:
    """A note from the desk or an answer from the importer (not on a closed case)."""
    case, side = lock_for_participant(actor=actor, case_id=case_id)
    if case.state == CaseState.CLOSED:
        raise ValidationError(_("This case is closed; nothing more can be added to it."))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the comment.")})
    comment = CaseComment.objects.create(case=case, author=actor, body=body)
    record(
        actor=actor,
        verb="import_case.commented",
        target=case,
        data={"comment_id": comment.pk, "side": side},
    )
    return comment


@transaction.atomic
def delete_draft(*, actor, case_id: int) -> str:
    """Importers delete a case that was never submitted (its serials, lines, parties and
    files go with it), so an abandoned draft never holds serial numbers. Returns the
    reference, which is not reused."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    if case.state != CaseState.DRAFT or case.submitted_at is not None:
        raise ValidationError(
            _("Only a draft that was never submitted can be deleted; this one is “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    reference = case.reference
    files = [a.file for a in case.attachments.all()]
    record(
        actor=actor,
        verb="import_case.deleted",
        target=case.organisation,
        data={"reference": reference, "title": case.title},
    )
    case.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files], robust=True)
    return reference
