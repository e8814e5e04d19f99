"""What the import desk's edits of reference data (regimes, their goods lists, import tax
rates) share: text fields with a length limit, dates in audit events, and locking the row
being changed, which another desk user may just have deleted."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from allocations.customs.models import PreferenceRegime


def iso_date(day: date | None) -> str | None:
    return day.isoformat() if day else None


def clean_text(value, *, field: str, label, max_length: int, required: bool = True) -> str:
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


def lock_existing(model: type[Model], pk: int, *, gone) -> Model:
    """The row, locked for the rest of the transaction; `gone` is the refusal when it no
    longer exists."""
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise ValidationError(gone)
    return row


def lock_regime(regime_id: int) -> PreferenceRegime:
    return lock_existing(PreferenceRegime, regime_id, gone=_("This regime no longer exists."))
