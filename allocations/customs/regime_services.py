"""Reference data the import desk maintains: preference regimes, their goods lists, and the
import tax rates used to estimate what a case relieves.

Every function checks the actor's capability, validates with messages that say what to do,
changes the rows in one transaction and writes one audit event per changed object. A
pasted goods list is saved whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.customs.checks import format_hs_code, normalise_hs_code
from allocations.customs.models import (
    AttachmentKind,
    ImportTaxRate,
    PreferenceRegime,
    RegimeGoodsItem,
)

EXCLUSION_CHOICES = ("vat", "duty", "both")
REGIME_FIELDS = (
    "code",
    "name_en",
    "name_ru",
    "name_kk",
    "legal_basis",
    "exempts_duty",
    "exempts_vat",
    "authority",
    "valid_from",
    "valid_to",
    "excluded_origins",
    "exclusion_removes",
    "required_documents",
    "report_every_months",
    "monitoring_years",
    "is_active",
)
# A pasted list longer than this is refused (the goods lists in force have tens of items).
MAX_GOODS_LINES = 2000
# At most this many bad lines are named; the rest are counted.
MAX_LINE_ERRORS = 25


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _text(value, *, field: str, label, max_length: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not text:
        raise ValidationError({field: _("Enter the %(label)s.") % {"label": label}})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: _("The %(label)s is at most %(max)s characters long.")
                % {"label": label, "max": max_length}
            }
        )
    return text


# --- Regimes -------------------------------------------------------------------------------


def _clean_regime(fields: dict, *, regime_id: int | None) -> dict:
    unknown = sorted(set(fields) - set(REGIME_FIELDS))
    if unknown:
        raise ValidationError(
            _("Unknown regime fields: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    missing = sorted(set(REGIME_FIELDS) - set(fields))
    if missing:
        raise ValidationError(
            _("Missing regime fields: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    errors: dict[str, list] = {}

    def check(name, func):
        try:
            return func()
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            return None

    data: dict = {}
    data["code"] = check(
        "code", lambda: _text(fields["code"], field="code", label=_("code"), max_length=40)
    )
    if data["code"]:
        data["code"] = data["code"].lower()
        try:
            validate_slug(data["code"])
        except ValidationError:
            errors.setdefault("code", []).append(
                _("Use only lower-case letters, digits, hyphens and underscores in the code.")
            )
        else:
            taken = PreferenceRegime.objects.filter(code=data["code"])
            if regime_id is not None:
                taken = taken.exclude(pk=regime_id)
            if taken.exists():
                errors.setdefault("code", []).append(
                    _("Another regime already has the code “%(code)s”.") % {"code": data["code"]}
                )
    for name, label in (
        ("name_en", _("name in English")),
        ("name_ru", _("name in Russian")),
        ("name_kk", _("name in Kazakh")),
        ("authority", _("authority")),
    ):
        data[name] = check(
            name,
            lambda name=name, label=label: _text(
                fields[name], field=name, label=label, max_length=255
            ),
        )
    data["legal_basis"] = check(
        "legal_basis",
        lambda: _text(
            fields["legal_basis"], field="legal_basis", label=_("legal basis"), max_length=5000
        ),
    )
    data["exempts_duty"] = bool(fields["exempts_duty"])
    data["exempts_vat"] = bool(fields["exempts_vat"])
    if not (data["exempts_duty"] or data["exempts_vat"]):
        errors.setdefault("exempts_duty", []).append(
            _("A regime exempts customs duty, import VAT or both: tick at least one.")
        )
    start, end = fields["valid_from"], fields["valid_to"]
    if not isinstance(start, date):
        errors.setdefault("valid_from", []).append(_("Give the first day the regime applies."))
    elif end is not None and (not isinstance(end, date) or end <= start):
        errors.setdefault("valid_to", []).append(
            _("The end must be after the start; leave it empty if the regime has no end.")
        )
    data["valid_from"], data["valid_to"] = start, end

    known = {code for code, _name in countries}
    origins = [str(code).strip().upper() for code in (fields["excluded_origins"] or [])]
    bad = sorted({code for code in origins if code not in known})
    if bad:
        errors.setdefault("excluded_origins", []).append(
            _("Unknown country codes: %(codes)s. Choose countries from the list.")
            % {"codes": ", ".join(bad)}
        )
    data["excluded_origins"] = sorted(set(origins))
    removes = fields["exclusion_removes"]
    if removes not in EXCLUSION_CHOICES:
        errors.setdefault("exclusion_removes", []).append(
            _("Choose what goods of an excluded origin lose.")
        )
    elif data["excluded_origins"] and not (
        (removes in ("duty", "both") and data["exempts_duty"])
        or (removes in ("vat", "both") and data["exempts_vat"])
    ):
        errors.setdefault("exclusion_removes", []).append(
            _(
                "The excluded countries would lose an exemption this regime does not give. "
                "Choose the exemption they lose."
            )
        )
    data["exclusion_removes"] = removes
    documents = list(dict.fromkeys(fields["required_documents"] or []))
    bad_kinds = [kind for kind in documents if kind not in AttachmentKind.values]
    if bad_kinds:
        errors.setdefault("required_documents", []).append(
            _("Unknown document kinds: %(kinds)s.") % {"kinds": ", ".join(map(str, bad_kinds))}
        )
    # Kept in the order of the kinds' list, so that pages list them the same way.
    data["required_documents"] = [kind for kind in AttachmentKind.values if kind in documents]
    for name, label, top in (
        ("report_every_months", _("months between use reports"), 120),
        ("monitoring_years", _("years of monitoring"), 50),
    ):
        value = fields[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            errors.setdefault(name, []).append(
                _("Give the %(label)s as a whole number from 0 to %(max)s.")
                % {"label": label, "max": top}
            )
        data[name] = value
    data["is_active"] = bool(fields["is_active"])
    if errors:
        raise ValidationError(errors)
    return data


def _regime_state(regime: PreferenceRegime) -> dict:
    return {
        name: _iso(value) if isinstance(value, date) else value
        for name in REGIME_FIELDS
        for value in [getattr(regime, name)]
    }


@transaction.atomic
def save_regime(*, actor, regime_id: int | None = None, **fields) -> PreferenceRegime:
    """Create a regime, or change one (all fields are given). Cases under the regime are
    checked against it as it is now; their generated documents keep what they printed."""
    require(actor, Capability.MANAGE_IMPORTS)
    regime = None
    if regime_id is not None:
        regime = PreferenceRegime.objects.select_for_update().filter(pk=regime_id).first()
        if regime is None:
            raise ValidationError(_("This regime no longer exists."))
    data = _clean_regime(fields, regime_id=regime_id)
    created = regime is None
    before = {} if created else _regime_state(regime)
    if created:
        regime = PreferenceRegime()
    for name, value in data.items():
        setattr(regime, name, value)
    try:
        with transaction.atomic():
            regime.save()
    except IntegrityError as error:
        raise ValidationError(
            {"code": _("Another regime already has this code. Choose another code.")}
        ) from error
    after = _regime_state(regime)
    changed = sorted(name for name in REGIME_FIELDS if before.get(name) != after[name])
    record(
        actor=actor,
        verb="customs.regime_created" if created else "customs.regime_changed",
        target=regime,
        data={
            "code": regime.code,
            "changed": changed,
            **({"before": {name: before[name] for name in changed}} if not created else {}),
        },
    )
    return regime


# --- Goods lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GoodsRow:
    line: int  # the line number in the pasted text
    hs_prefix: str
    item_number: str
    description: str


@dataclass(frozen=True)
class GoodsResult:
    added: int
    updated: int
    unchanged: int
    removed: int


def parse_goods_lines(text: str) -> list[GoodsRow]:
    """Lines `8471 50;12;Servers with GPUs` (HS prefix; list item no.; description; a tab
    also separates, as when pasting from a spreadsheet). Blank lines and lines starting with
    # are skipped. Raises a ValidationError naming every bad line by its number."""
    rows: list[GoodsRow] = []
    errors: list = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(rows) + len(errors) >= MAX_GOODS_LINES:
            raise ValidationError(
                _("Paste at most %(max)s lines at a time.") % {"max": MAX_GOODS_LINES}
            )
        separator = ";" if ";" in line else "\t"
        parts = [part.strip() for part in line.split(separator, 2)]
        if len(parts) < 3:
            errors.append(
                _(
                    "Line %(line)s: give three parts separated by semicolons: HS code "
                    "prefix; list item no.; description (for example “8471 50;12;Servers "
                    "with GPUs”)."
                )
                % {"line": number}
            )
            continue
        prefix = normalise_hs_code(parts[0])
        item, description = parts[1], parts[2]
        problems = []
        if not (prefix.isascii() and prefix.isdigit() and 2 <= len(prefix) <= 10):
            problems.append(
                _("the HS code prefix “%(prefix)s” must have 2 to 10 digits") % {"prefix": parts[0]}
            )
        elif prefix in first_line:
            problems.append(
                _("the prefix %(prefix)s is already on line %(first)s")
                % {"prefix": format_hs_code(prefix), "first": first_line[prefix]}
            )
        if not item:
            problems.append(_("the list item no. is missing"))
        elif len(item) > 20:
            problems.append(_("the list item no. is at most 20 characters long"))
        if not description:
            problems.append(_("the description is missing"))
        elif len(description) > 255:
            problems.append(_("the description is at most 255 characters long"))
        if problems:
            errors.append(
                _("Line %(line)s: %(problems)s.")
                % {"line": number, "problems": "; ".join(str(p) for p in problems)}
            )
            continue
        first_line[prefix] = number
        rows.append(GoodsRow(number, prefix, item, description))
    if errors:
        shown = errors[:MAX_LINE_ERRORS]
        if len(errors) > MAX_LINE_ERRORS:
            more = len(errors) - MAX_LINE_ERRORS
            shown.append(
                ngettext(
                    "… and %(count)s more line with errors.",
                    "… and %(count)s more lines with errors.",
                    more,
                )
                % {"count": more}
            )
        shown.append(_("Nothing was saved: correct these lines and save again."))
        raise ValidationError(shown)
    if not rows:
        raise ValidationError(
            _("Paste at least one line: HS code prefix; list item no.; description.")
        )
    return rows


@transaction.atomic
def save_goods_list(*, actor, regime_id: int, text: str, replace: bool = False) -> GoodsResult:
    """Add the pasted items to the regime's goods list; an item whose prefix is already on
    the list gets the pasted number and description. With `replace`, items not pasted are
    removed. Nothing is saved when a line is bad."""
    require(actor, Capability.MANAGE_IMPORTS)
    regime = PreferenceRegime.objects.select_for_update().filter(pk=regime_id).first()
    if regime is None:
        raise ValidationError(_("This regime no longer exists."))
    rows = parse_goods_lines(text)
    existing = {item.hs_prefix: item for item in RegimeGoodsItem.objects.filter(regime=regime)}
    new, changed, unchanged = [], [], 0
    for row in rows:
        item = existing.get(row.hs_prefix)
        if item is None:
            new.append(
                RegimeGoodsItem(
                    regime=regime,
                    hs_prefix=row.hs_prefix,
                    item_number=row.item_number,
                    description=row.description,
                )
            )
        elif (item.item_number, item.description) != (row.item_number, row.description):
            item.item_number, item.description = row.item_number, row.description
            changed.append(item)
        else:
            unchanged += 1
    pasted = {row.hs_prefix for row in rows}
    removed = sorted(prefix for prefix in existing if prefix not in pasted) if replace else []
    if removed:
        RegimeGoodsItem.objects.filter(regime=regime, hs_prefix__in=removed).delete()
    RegimeGoodsItem.objects.bulk_create(new)
    RegimeGoodsItem.objects.bulk_update(changed, ["item_number", "description"])
    record(
        actor=actor,
        verb="customs.regime_goods_saved",
        target=regime,
        data={
            "added": [item.hs_prefix for item in new],
            "updated": [item.hs_prefix for item in changed],
            "removed": removed,
            "replace": bool(replace),
        },
    )
    return GoodsResult(
        added=len(new), updated=len(changed), unchanged=unchanged, removed=len(removed)
    )


@transaction.atomic
def delete_goods_item(*, actor, regime_id: int, item_id: int) -> RegimeGoodsItem:
    require(actor, Capability.MANAGE_IMPORTS)
    regime = PreferenceRegime.objects.select_for_update().filter(pk=regime_id).first()
    item = RegimeGoodsItem.objects.filter(pk=item_id, regime_id=regime_id).first()
    if regime is None or item is None:
        raise ValidationError(_("This goods list item no longer exists."))
    record(
        actor=actor,
        verb="customs.regime_goods_deleted",
        target=regime,
        data={
            "hs_prefix": item.hs_prefix,
            "item_number": item.item_number,
            "description": item.description,
        },
    )
    item.delete()
    return item


# --- Import tax rates ----------------------------------------------------------------------


def _rate(value) -> Decimal:
    try:
        rate = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        rate = None
    if rate is None or not rate.is_finite():
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
        "valid_from": _iso(rate.valid_from),
        "valid_to": _iso(rate.valid_to),
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
    note = _text(note, field="note", label=_("note"), max_length=255, required=False)

    row = None
    before: dict = {}
    if rate_id is not None:
        row = ImportTaxRate.objects.select_for_update().filter(pk=rate_id).first()
        if row is None:
            raise ValidationError(_("This rate no longer exists."))
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
            data={"valid_to": _iso(valid_from)},
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
    row = ImportTaxRate.objects.select_for_update().filter(pk=rate_id).first()
    if row is None:
        raise ValidationError(_("This rate no longer exists."))
    record(actor=actor, verb="customs.tax_rate_deleted", target=row, data=_rate_data(row))
    row.delete()
