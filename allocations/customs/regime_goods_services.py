"""The goods list of a preference regime: the HS code prefixes (with the list's item number
and description) whose goods the regime relieves. The desk pastes the list from the legal
act or a spreadsheet; a pasted list is saved whole or not at all."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.customs.checks import format_hs_code, normalise_hs_code
from allocations.customs.models import PreferenceRegime, RegimeGoodsItem
from allocations.customs.reference_editing import lock_regime

# A pasted list longer than this is refused (the goods lists in force have tens of items).
MAX_GOODS_LINES = 2000
# At most this many bad lines are named; the rest are counted.
MAX_LINE_ERRORS = 25


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
    regime = lock_regime(regime_id)
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
