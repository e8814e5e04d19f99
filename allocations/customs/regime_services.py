"""Reference data the import desk maintains: preference regimes, their goods lists, and the
import tax rates used to estimate what a case relieves.

Every function checks the actor's capability, validates with messages that say what to do,
changes the rows in one transaction and writes one audit event per changed object. A
pasted goods list is saved whole or not at all.

The regimes themselves are here; goods lists are in regime_goods_services and tax rates in
tax_rate_services. Every name stays importable from here.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.customs.models import AttachmentKind, ExclusionBasis, PreferenceRegime
from allocations.customs.reference_editing import clean_text, iso_date, lock_regime
from allocations.customs.regime_goods_services import (
    MAX_GOODS_LINES,
    MAX_LINE_ERRORS,
    GoodsResult,
    GoodsRow,
    delete_goods_item,
    parse_goods_lines,
    save_goods_list,
)
from allocations.customs.tax_rate_services import delete_tax_rate, save_tax_rate

__all__ = [
    "EXCLUSION_CHOICES",
    "MAX_GOODS_LINES",
    "MAX_LINE_ERRORS",
    "REGIME_FIELDS",
    "GoodsResult",
    "GoodsRow",
    "delete_goods_item",
    "delete_tax_rate",
    "parse_goods_lines",
    "save_goods_list",
    "save_regime",
    "save_tax_rate",
]

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
    "exclusion_basis",
    "exclusion_removes",
    "required_documents",
    "report_every_months",
    "monitoring_years",
    "is_active",
)


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

    def add(field: str, *messages) -> None:
        errors.setdefault(field, []).extend(messages)

    def text(name: str, label, max_length: int) -> str | None:
        try:
            return clean_text(fields[name], field=name, label=label, max_length=max_length)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                add(key, *messages)
            return None

    data: dict = {}
    data["code"] = text("code", _("code"), 40)
    if data["code"]:
        data["code"] = data["code"].lower()
        try:
            validate_slug(data["code"])
        except ValidationError:
            add(
                "code",
                _("Use only lower-case letters, digits, hyphens and underscores in the code."),
            )
        else:
            taken = PreferenceRegime.objects.filter(code=data["code"])
            if regime_id is not None:
                taken = taken.exclude(pk=regime_id)
            if taken.exists():
                add(
                    "code",
                    _("Another regime already has the code “%(code)s”.") % {"code": data["code"]},
                )
    for name, label in (
        ("name_en", _("name in English")),
        ("name_ru", _("name in Russian")),
        ("name_kk", _("name in Kazakh")),
        ("authority", _("authority")),
    ):
        data[name] = text(name, label, 255)
    data["legal_basis"] = text("legal_basis", _("legal basis"), 5000)
    data["exempts_duty"] = bool(fields["exempts_duty"])
    data["exempts_vat"] = bool(fields["exempts_vat"])
    if not (data["exempts_duty"] or data["exempts_vat"]):
        add(
            "exempts_duty",
            _("A regime exempts customs duty, import VAT or both: tick at least one."),
        )
    start, end = fields["valid_from"], fields["valid_to"]
    if not isinstance(start, date):
        add("valid_from", _("Give the first day the regime applies."))
    elif end is not None and (not isinstance(end, date) or end <= start):
        add(
            "valid_to",
            _("The end must be after the start; leave it empty if the regime has no end."),
        )
    data["valid_from"], data["valid_to"] = start, end

    known = {code for code, _name in countries}
    origins = [str(code).strip().upper() for code in (fields["excluded_origins"] or [])]
    bad = sorted({code for code in origins if code not in known})
    if bad:
        add(
            "excluded_origins",
            _("Unknown country codes: %(codes)s. Choose countries from the list.")
            % {"codes": ", ".join(bad)},
        )
    data["excluded_origins"] = sorted(set(origins))
    basis = fields["exclusion_basis"]
    if basis not in ExclusionBasis.values:
        add("exclusion_basis", _("Choose what the excluded countries are compared with."))
    data["exclusion_basis"] = basis
    removes = fields["exclusion_removes"]
    if removes not in EXCLUSION_CHOICES:
        add("exclusion_removes", _("Choose what goods of an excluded origin lose."))
    elif data["excluded_origins"] and not (
        (removes in ("duty", "both") and data["exempts_duty"])
        or (removes in ("vat", "both") and data["exempts_vat"])
    ):
        add(
            "exclusion_removes",
            _(
                "The excluded countries would lose an exemption this regime does not give. "
                "Choose the exemption they lose."
            ),
        )
    data["exclusion_removes"] = removes
    documents = list(dict.fromkeys(fields["required_documents"] or []))
    bad_kinds = [kind for kind in documents if kind not in AttachmentKind.values]
    if bad_kinds:
        add(
            "required_documents",
            _("Unknown document kinds: %(kinds)s.") % {"kinds": ", ".join(map(str, bad_kinds))},
        )
    # Kept in the order of the kinds' list, so that pages list them the same way.
    data["required_documents"] = [kind for kind in AttachmentKind.values if kind in documents]
    for name, label, top in (
        ("report_every_months", _("months between use reports"), 120),
        ("monitoring_years", _("years of monitoring"), 50),
    ):
        value = fields[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            add(
                name,
                _("Give the %(label)s as a whole number from 0 to %(max)s.")
                % {"label": label, "max": top},
            )
        data[name] = value
    data["is_active"] = bool(fields["is_active"])
    if errors:
        raise ValidationError(errors)
    return data


def _regime_state(regime: PreferenceRegime) -> dict:
    return {
        name: iso_date(value) if isinstance(value, date) else value
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
        regime = lock_regime(regime_id)
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
