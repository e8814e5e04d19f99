"""The parties of an import case: the importer (filled in from the organisation when the
case is opened) and the supplier, manufacturer, consignee or customs representative the
importer adds. A Kazakh party is known by its BIN, a foreign one by its registration number
and address."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.accounts.identifiers import is_valid_bin
from allocations.core.audit import record
from allocations.customs.case_access import first_or_404, lock_editable
from allocations.customs.case_editing import save_changed
from allocations.customs.models import CaseParty, PartyRole


def _clean_party(values: dict, *, role: str) -> dict:
    errors: dict[str, list] = {}
    name = (values.get("name") or "").strip()
    country = (values.get("country") or "").strip().upper()
    bin_ = re.sub(r"\s+", "", values.get("bin") or "")
    registration = (values.get("registration_number") or "").strip()
    address = (values.get("address") or "").strip()
    if role not in PartyRole.values:
        errors["role"] = [_("Choose the party's role.")]
    if not name:
        errors["name"] = [_("Give the party's name.")]
    if country not in countries:
        errors["country"] = [_("Choose the country.")]
    elif country == "KZ":
        if not bin_:
            errors["bin"] = [_("A Kazakh party needs its BIN (12 digits).")]
        elif not is_valid_bin(bin_):
            errors["bin"] = [
                _("This BIN fails the check-digit test. Please check it for a typing error.")
            ]
    else:
        if bin_:
            errors["bin"] = [_("Only Kazakh parties have a BIN; give the registration number.")]
        if not registration:
            errors["registration_number"] = [
                _("Give the foreign party's registration number (company number, VAT no.).")
            ]
        if not address:
            errors["address"] = [_("Give the foreign party's address.")]
    if errors:
        raise ValidationError(errors)
    return {
        "role": role,
        "name": name,
        "country": country,
        "bin": bin_ if country == "KZ" else "",
        "registration_number": registration,
        "address": address,
    }


@transaction.atomic
def add_party(*, actor, case_id: int, values: dict) -> CaseParty:
    """Add a supplier, manufacturer, consignee or customs representative."""
    case = lock_editable(actor=actor, case_id=case_id)
    role = values.get("role")
    if role == PartyRole.IMPORTER:
        raise ValidationError({"role": _("The importer is the case's organisation.")})
    party = CaseParty.objects.create(case=case, **_clean_party(values, role=role))
    record(
        actor=actor,
        verb="import_case.party_added",
        target=case,
        data={"party_id": party.pk, "role": party.role, "name": party.name},
    )
    return party


@transaction.atomic
def update_party(*, actor, case_id: int, party_id: int, values: dict) -> CaseParty:
    """Change a party; its role stays (the importer stays the importer)."""
    case = lock_editable(actor=actor, case_id=case_id)
    party = first_or_404(CaseParty.objects.filter(case=case, pk=party_id))
    changed = save_changed(party, _clean_party(values, role=party.role))
    if changed:
        record(
            actor=actor,
            verb="import_case.party_changed",
            target=case,
            data={"party_id": party.pk, "role": party.role, "changed": changed},
        )
    return party


@transaction.atomic
def remove_party(*, actor, case_id: int, party_id: int) -> None:
    case = lock_editable(actor=actor, case_id=case_id)
    party = first_or_404(CaseParty.objects.filter(case=case, pk=party_id))
    if party.role == PartyRole.IMPORTER:
        raise ValidationError(_("The importer cannot be removed; correct its details instead."))
    data = {"party_id": party.pk, "role": party.role, "name": party.name}
    party.delete()
    record(actor=actor, verb="import_case.party_removed", target=case, data=data)
