"""Reference data finance maintains: tariffs, which tracks are invoiced, the seller.

Tariffs of one resource and organisation category never overlap. A price change is a new
tariff: when it starts while an open-ended tariff runs, the running one is closed at the
new start (a change on the 15th splits that month's invoice lines on the 15th). A tariff
already printed on an issued invoice is never edited; it can only be closed, and only
from a day after everything invoiced at it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.forms.models import model_to_dict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocations.accounts.identifiers import is_valid_bin
from allocations.accounts.models import OrganisationCategory
from allocations.billing import pricing
from allocations.billing.models import (
    SELLER_FIELDS,
    InvoiceLine,
    SellerProfile,
    Tariff,
    TrackBilling,
)
from allocations.billing.selectors import FINAL_STATES
from allocations.calls.models import Resource, Track
from allocations.core.audit import record
from allocations.core.numbers import finite_decimal
from allocations.core.permissions import Capability, require


def _price(value) -> Decimal:
    price = finite_decimal(value)
    if price is None:
        raise ValidationError({"price_per_gpu_hour": _("Enter the price as a number.")})
    if price < 0:
        raise ValidationError({"price_per_gpu_hour": _("The price cannot be negative.")})
    if pricing.decimal_places(price) > 2:
        raise ValidationError(
            {"price_per_gpu_hour": _("Give the price in tenge with at most 2 decimals.")}
        )
    if price >= Decimal("1e14"):
        raise ValidationError({"price_per_gpu_hour": _("This price is too large.")})
    return price.quantize(pricing.CENT)


def _invoiced_until(tariff_id: int) -> date | None:
    """The end of the last period invoiced at this tariff on a document (issued, paid or
    cancelled invoice), or None when no document uses it."""
    return InvoiceLine.objects.filter(
        tariff_id=tariff_id, invoice__state__in=FINAL_STATES
    ).aggregate(end=Max("period_end"))["end"]


def _period_text(start: date, end: date | None) -> str:
    if end is None:
        return _("from %(start)s") % {"start": date_format(start)}
    return _("%(start)s to %(end)s") % {"start": date_format(start), "end": date_format(end)}


@transaction.atomic
def save_tariff(
    *,
    actor,
    resource_id: int,
    category: str,
    price_per_gpu_hour: Decimal,
    valid_from: date,
    valid_to: date | None,
    tariff_id: int | None = None,
) -> Tariff:
    """Create a tariff, or change one no issued invoice uses yet.

    An open-ended tariff of the same resource and category that started before
    `valid_from` is closed at `valid_from`; any other overlap is refused.
    """
    require(actor, Capability.MANAGE_BILLING)
    price = _price(price_per_gpu_hour)
    if category not in OrganisationCategory.values:
        raise ValidationError({"category": _("Choose an organisation category.")})
    if valid_from is None:
        raise ValidationError({"valid_from": _("Give the first day the price applies.")})
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationError({"valid_to": _("The end must be after the start.")})
    # Lock the resource: tariff saves of one resource wait for each other, so two
    # overlapping tariffs cannot both pass the check below.
    resource = Resource.objects.select_for_update().filter(pk=resource_id).first()
    if resource is None:
        raise ValidationError({"resource_id": _("Choose a resource.")})

    tariff = None
    before: dict = {}
    if tariff_id is not None:
        tariff = Tariff.objects.select_for_update().filter(pk=tariff_id).first()
        if tariff is None:
            raise ValidationError(_("This tariff no longer exists."))
        if tariff.resource_id != resource.pk:
            Resource.objects.select_for_update().filter(pk=tariff.resource_id).first()
        if _invoiced_until(tariff.pk) is not None:
            raise ValidationError(
                _(
                    "This tariff is on an issued invoice and cannot be changed. "
                    "Create a new tariff from the day the new price applies."
                )
            )
        before = {
            "resource_id": tariff.resource_id,
            "category": tariff.category,
            "price": str(tariff.price_per_gpu_hour),
            "valid_from": tariff.valid_from.isoformat(),
            "valid_to": tariff.valid_to.isoformat() if tariff.valid_to else None,
        }

    others = Tariff.objects.select_for_update().filter(resource=resource, category=category)
    if tariff is not None:
        others = others.exclude(pk=tariff.pk)
    to_close = None
    clashes = []
    for other in others.order_by("valid_from"):
        if not pricing.overlaps(valid_from, valid_to, other.valid_from, other.valid_to):
            continue
        if other.valid_to is None and other.valid_from < valid_from and to_close is None:
            to_close = other
            continue
        clashes.append(other)
    if clashes:
        first = clashes[0]
        raise ValidationError(
            {
                "valid_from": _(
                    "This period overlaps the tariff %(price)s KZT valid %(period)s for the "
                    "same resource and category. Change the dates so that they do not overlap."
                )
                % {
                    "price": first.price_per_gpu_hour,
                    "period": _period_text(first.valid_from, first.valid_to),
                }
            }
        )
    if to_close is not None:
        invoiced_until = _invoiced_until(to_close.pk)
        if invoiced_until is not None and invoiced_until > valid_from:
            raise ValidationError(
                {
                    "valid_from": _(
                        "The current tariff has been invoiced up to %(day)s; a new price can "
                        "start on %(day)s at the earliest."
                    )
                    % {"day": date_format(invoiced_until)}
                }
            )

    if to_close is not None:
        to_close.valid_to = valid_from
        to_close.save(update_fields=["valid_to"])
        record(
            actor=actor,
            verb="billing.tariff_closed",
            target=to_close,
            data={"valid_to": valid_from.isoformat(), "replaced_by_start": valid_from.isoformat()},
        )

    created = tariff is None
    if created:
        tariff = Tariff(created_by=actor)
    tariff.resource = resource
    tariff.category = category
    tariff.price_per_gpu_hour = price
    tariff.valid_from = valid_from
    tariff.valid_to = valid_to
    tariff.save()
    record(
        actor=actor,
        verb="billing.tariff_created" if created else "billing.tariff_changed",
        target=tariff,
        data={
            "resource_id": resource.pk,
            "category": category,
            "price": str(price),
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            **({"before": before} if before else {}),
            **({"closed_tariff_id": to_close.pk} if to_close is not None else {}),
        },
    )
    return tariff


@transaction.atomic
def delete_tariff(*, actor, tariff_id: int) -> None:
    """Delete a tariff no invoice line uses (drafts included: re-run or discard them first)."""
    require(actor, Capability.MANAGE_BILLING)
    tariff = Tariff.objects.select_for_update().filter(pk=tariff_id).first()
    if tariff is None:
        raise ValidationError(_("This tariff no longer exists."))
    if _invoiced_until(tariff.pk) is not None:
        raise ValidationError(_("This tariff is on an issued invoice and cannot be deleted."))
    if InvoiceLine.objects.filter(tariff=tariff).exists():
        raise ValidationError(
            _(
                "Draft invoices use this tariff. Discard those drafts or run the month again "
                "with another tariff before deleting it."
            )
        )
    record(
        actor=actor,
        verb="billing.tariff_deleted",
        target=tariff,
        data={
            "resource_id": tariff.resource_id,
            "category": tariff.category,
            "price": str(tariff.price_per_gpu_hour),
            "valid_from": tariff.valid_from.isoformat(),
            "valid_to": tariff.valid_to.isoformat() if tariff.valid_to else None,
        },
    )
    tariff.delete()


@transaction.atomic
def set_track_billing(*, actor, track: str, is_paid: bool) -> TrackBilling:
    """Say whether calls of a track are invoiced (from the next invoicing run on)."""
    require(actor, Capability.MANAGE_BILLING)
    if track not in Track.values:
        raise ValidationError({"track": _("Choose a track.")})
    row, created = TrackBilling.objects.select_for_update().get_or_create(
        track=track, defaults={"is_paid": bool(is_paid)}
    )
    before = None if created else row.is_paid
    if not created and row.is_paid != bool(is_paid):
        row.is_paid = bool(is_paid)
        row.save(update_fields=["is_paid"])
    record(
        actor=actor,
        verb="billing.track_billing_set",
        target=row,
        from_state="" if before is None else ("paid" if before else "free"),
        to_state="paid" if row.is_paid else "free",
        data={"track": track},
    )
    return row


def _check_seller(profile: SellerProfile) -> None:
    errors: dict[str, list] = {}
    try:
        profile.full_clean()
    except ValidationError as invalid:
        errors = invalid.message_dict
    if profile.bin and not is_valid_bin(profile.bin):
        errors.setdefault("bin", []).append(_("Enter a valid 12-digit BIN."))
    iik = (profile.iik or "").replace(" ", "").upper()
    if iik and not _valid_kz_iban(iik):
        errors.setdefault("iik", []).append(
            _("Enter the account (IIK) as a 20-character IBAN starting with KZ.")
        )
    if profile.kbe and not (len(profile.kbe) == 2 and profile.kbe.isdigit()):
        errors.setdefault("kbe", []).append(_("The beneficiary code (KBe) has 2 digits."))
    if errors:
        raise ValidationError(errors)


def _valid_kz_iban(value: str) -> bool:
    if len(value) != 20 or not value.startswith("KZ") or not value.isalnum():
        return False
    moved = value[4:] + value[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


@transaction.atomic
def save_seller_profile(*, actor, **fields) -> SellerProfile:
    """Create or change the centre's seller profile (one row). Fields not given keep their
    values. Issued invoices keep the copy they took when issued."""
    require(actor, Capability.MANAGE_BILLING)
    unknown = sorted(set(fields) - set(SELLER_FIELDS))
    if unknown:
        raise ValidationError(
            _("Unknown seller profile fields: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    profile = SellerProfile.objects.select_for_update().order_by("pk").first()
    created = profile is None
    if created:
        profile = SellerProfile()
    before = model_to_dict(profile, fields=SELLER_FIELDS) if not created else {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "iik" and isinstance(value, str):
            value = value.replace(" ", "").upper()
        setattr(profile, name, value)
    _check_seller(profile)
    profile.save()
    after = model_to_dict(profile, fields=SELLER_FIELDS)
    record(
        actor=actor,
        verb="billing.seller_saved",
        target=profile,
        data={"changed": sorted(k for k in SELLER_FIELDS if before.get(k) != after.get(k))},
    )
    return profile
