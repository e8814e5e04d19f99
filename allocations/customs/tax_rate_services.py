"""Import tax rates the import desk maintains (customs duty per HS code prefix, import VAT
for every code), used to estimate what a case relieves. Periods of the same kind and prefix
never overlap; an open-ended rate is closed when a newer one starts."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.core.numbers import finite_decimal
from allocations.core.permissions import Capability, require
from allocations.customs.checks import normalise_hs_code
from allocations.customs.models import ImportTaxRate
from allocations.customs.reference_editing import clean_text, iso_date, lock_existing

RATE_GONE = _("This rate no longer exists.")


def _rate(value) -> Decimal:
    rate = finite_decimal(value)
    if rate is None:
        raise ValidationError({"rate": _("Enter the rate as a number.")})
    if not Decimal(0) <= rate < Decimal(1):
        raise ValidationError(
            {"rate": _("Give a rate from 0 up to, but not including, 100 percent.")}
        )
    if rate != rate.quantize(Decimal("0.0001")):
        raise ValidationError({"rate": _("Give the rate with at most 2 decimals of a percent.")})
    return rate.quantize(Decimal("0.0001"))


def _period_text(start: date, end: date | None) -> str:
    if end is None:
        return _("from %(start)s") % {"start": date_format(start)}
    return _("%(start)s to %(end)s") % {"start": date_format(start), "end": date_format(end)}


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def _rate_data(rate: ImportTaxRate) -> dict:
    return {
        "kind": rate.kind,
        "hs_prefix": rate.hs_prefix,
        "rate": str(rate.rate),
        "valid_from": iso_date(rate.valid_from),
        "valid_to": iso_date(rate.valid_to),
        "note": rate.note,
    }


@transaction.atomic
def save_tax_rate(
    *,
    actor,
    kind: str,
    hs_prefix: str,
    rate: Decimal,
    valid_from: date,
    valid_to: date | None,
    note: str = "",
    rate_id: int | None = None,
) -> ImportTaxRate:
    """Create or change a rate (a fraction: 0.16 for 16 %). Duty rates apply to an HS prefix
    ("" for every code without a longer match); VAT applies to every code. An open-ended
    rate of the same kind and prefix that started earlier is closed at the new start; any
    other overlap is refused."""
    require(actor, Capability.MANAGE_IMPORTS)
    if kind not in ImportTaxRate.Kind.values:
        raise ValidationError({"kind": _("Choose customs duty or import VAT.")})
    prefix = normalise_hs_code(hs_prefix or "")
    if prefix and not (prefix.isascii() and prefix.isdigit() and 2 <= len(prefix) <= 10):
        raise ValidationError(
            {"hs_prefix": _("An HS code prefix has 2 to 10 digits, for example 8471 50.")}
        )
    if kind == ImportTaxRate.Kind.VAT and prefix:
        raise ValidationError(
            {"hs_prefix": _("Import VAT applies to every code: leave the HS code prefix empty.")}
        )
    value = _rate(rate)
    if not isinstance(valid_from, date):
        raise ValidationError({"valid_from": _("Give the first day the rate applies.")})
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationError({"valid_to": _("The end must be after the start.")})
    note = clean_text(note, field="note", label=_("note"), max_length=255, required=False)

    row = None
    before: dict = {}
    if rate_id is not None:
        row = lock_existing(ImportTaxRate, rate_id, gone=RATE_GONE)
        before = _rate_data(row)
    others = ImportTaxRate.objects.select_for_update().filter(kind=kind, hs_prefix=prefix)
    if row is not None:
        others = others.exclude(pk=row.pk)
    to_close = None
    for other in others.order_by("valid_from"):
        if not _overlaps(valid_from, valid_to, other.valid_from, other.valid_to):
            continue
        if other.valid_to is None and other.valid_from < valid_from and to_close is None:
            to_close = other
            continue
        raise ValidationError(
            {
                "valid_from": _(
                    "This period overlaps the rate of %(rate)s valid %(period)s for the same "
                    "kind and HS code prefix. Change the dates so that they do not overlap."
                )
                % {
                    "rate": f"{other.rate * 100:.2f} %",
                    "period": _period_text(other.valid_from, other.valid_to),
                }
            }
        )
    if to_close is not None:
        to_close.valid_to = valid_from
        to_close.save(update_fields=["valid_to"])
        record(
            actor=actor,
            verb="customs.tax_rate_closed",
            target=to_close,
            data={"valid_to": iso_date(valid_from)},
        )
    created = row is None
    if created:
        row = ImportTaxRate()
    row.kind, row.hs_prefix, row.rate = kind, prefix, value
    row.valid_from, row.valid_to, row.note = valid_from, valid_to, note
    row.save()
    record(
        actor=actor,
        verb="customs.tax_rate_created" if created else "customs.tax_rate_changed",
        target=row,
        data={
            **_rate_data(row),
            **({"before": before} if before else {}),
            **({"closed_rate_id": to_close.pk} if to_close is not None else {}),
        },
    )
    return row


@transaction.atomic
def delete_tax_rate(*, actor, rate_id: int) -> None:
    """Delete a rate. Only estimates use rates; nothing stored depends on them."""
    require(actor, Capability.MANAGE_IMPORTS)
    row = lock_existing(ImportTaxRate, rate_id, gone=RATE_GONE)
    record(actor=actor, verb="customs.tax_rate_deleted", target=row, data=_rate_data(row))
    row.delete()
