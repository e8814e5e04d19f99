"""The equipment lines of an import case: what is imported (description, maker, model, HS
code, quantity, price, origin), numbered from 1 in the order the importer added them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.core.audit import record
from allocations.customs.case_access import first_or_404, lock_editable
from allocations.customs.case_editing import clean_currency, save_changed
from allocations.customs.checks import is_valid_hs_code, normalise_hs_code
from allocations.customs.models import EquipmentLine, ImportCase

LINE_FIELDS = (
    "description",
    "manufacturer",
    "model",
    "hs_code",
    "quantity",
    "unit",
    "unit_price",
    "currency",
    "origin_country",
    "is_datacentre_gpu",
    "export_licence_number",
)


def normalised_hs_code(raw: str) -> str:
    """The 10-digit HS code, or a ValidationError for the hs_code field."""
    code = normalise_hs_code(raw or "")
    if not is_valid_hs_code(code):
        raise ValidationError(
            {"hs_code": _("An HS code of the EAEU nomenclature has 10 digits, e.g. 8471 50 000 0.")}
        )
    return code


def _clean_line(values: dict) -> dict:
    errors: dict[str, list] = {}
    cleaned = {name: values.get(name) for name in LINE_FIELDS}
    for name in ("description", "manufacturer", "model", "unit", "export_licence_number"):
        cleaned[name] = (cleaned[name] or "").strip()
    for name, message in (
        ("description", _("Describe the equipment.")),
        ("manufacturer", _("Give the manufacturer.")),
        ("model", _("Give the model.")),
    ):
        if not cleaned[name]:
            errors[name] = [message]
    cleaned["unit"] = cleaned["unit"] or "pcs"
    try:
        cleaned["hs_code"] = normalised_hs_code(cleaned["hs_code"])
    except ValidationError as error:
        errors.update(error.message_dict)
    quantity, price = cleaned["quantity"], cleaned["unit_price"]
    if not isinstance(quantity, Decimal | int) or quantity <= 0:
        errors["quantity"] = [_("The quantity must be more than 0.")]
    if not isinstance(price, Decimal | int) or price < 0:
        errors["unit_price"] = [_("The unit price cannot be negative.")]
    try:
        cleaned["currency"] = clean_currency(cleaned["currency"], field="currency")
    except ValidationError as error:
        errors.update(error.message_dict)
    cleaned["origin_country"] = (cleaned["origin_country"] or "").strip().upper()
    if cleaned["origin_country"] not in countries:
        errors["origin_country"] = [_("Choose the country of origin.")]
    cleaned["is_datacentre_gpu"] = bool(cleaned["is_datacentre_gpu"])
    if errors:
        raise ValidationError(errors)
    return cleaned


def line_of_case(case: ImportCase, line_id: int) -> EquipmentLine:
    return first_or_404(EquipmentLine.objects.filter(case=case, pk=line_id))


@transaction.atomic
def add_line(*, actor, case_id: int, values: dict) -> EquipmentLine:
    """Add an equipment line at the end of the case's list."""
    case = lock_editable(actor=actor, case_id=case_id)
    cleaned = _clean_line(values)
    last = EquipmentLine.objects.filter(case=case).aggregate(last=Max("position"))["last"]
    line = EquipmentLine.objects.create(case=case, position=(last or 0) + 1, **cleaned)
    record(
        actor=actor,
        verb="import_case.line_added",
        target=case,
        data={"line_id": line.pk, "position": line.position, "hs_code": line.hs_code},
    )
    return line


@transaction.atomic
def update_line(*, actor, case_id: int, line_id: int, values: dict) -> EquipmentLine:
    case = lock_editable(actor=actor, case_id=case_id)
    line = line_of_case(case, line_id)
    changed = save_changed(line, _clean_line(values))
    if changed:
        record(
            actor=actor,
            verb="import_case.line_changed",
            target=case,
            data={"line_id": line.pk, "position": line.position, "changed": changed},
        )
    return line


@transaction.atomic
def remove_line(*, actor, case_id: int, line_id: int) -> None:
    """Remove a line and its serial numbers; the lines after it move up one place."""
    case = lock_editable(actor=actor, case_id=case_id)
    line = line_of_case(case, line_id)
    data = {
        "line_id": line.pk,
        "position": line.position,
        "model": line.model,
        "serials": line.serials.count(),
    }
    position = line.position
    line.delete()
    # Ascending, so that each line moves into the place just freed (positions are unique).
    for later in EquipmentLine.objects.filter(case=case, position__gt=position).order_by(
        "position"
    ):
        later.position -= 1
        later.save(update_fields=["position"])
    record(actor=actor, verb="import_case.line_removed", target=case, data=data)
