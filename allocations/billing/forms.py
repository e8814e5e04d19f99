"""Forms of the finance pages. They parse and check input; the services decide."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import OrganisationCategory
from allocations.billing.exports import RegisterFilter
from allocations.billing.models import SELLER_FIELDS, InvoiceState, SellerProfile
from allocations.calls.models import Resource, Track
from allocations.core.forms import DateInput, ValidityPeriodForm

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
MONTH_DOTTED_RE = re.compile(r"^\s*(\d{1,2})[./](\d{4})\s*$")


class MonthInput(forms.TextInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        return super().format_value(value)


class MonthField(forms.Field):
    """A month as its first day. Accepts "2026-03" (what <input type=month> sends) and
    "03.2026" (what people type where the browser shows a text box)."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2026-03.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        text = str(value)
        match = MONTH_RE.match(text)
        if match:
            year, month = int(match[1]), int(match[2])
        else:
            match = MONTH_DOTTED_RE.match(text)
            if not match:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            month, year = int(match[1]), int(match[2])
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return date(year, month, 1)


def posted(request):
    """The POST data to bind a form to, even when empty (an empty POST is still a
    submission: it must show "required" errors, not a blank form); None for GET."""
    return request.POST if request.method == "POST" else None


# --- Tariffs, tracks, seller -------------------------------------------------------------


class TariffForm(ValidityPeriodForm):
    resource = forms.ModelChoiceField(
        label=_("Resource"), queryset=Resource.objects.order_by("name"), empty_label=None
    )
    category = forms.ChoiceField(
        label=_("Organisation category"), choices=OrganisationCategory.choices
    )
    price_per_gpu_hour = forms.DecimalField(
        label=_("Price per GPU-hour (KZT, without VAT)"),
        max_digits=16,
        decimal_places=2,
        min_value=0,
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(
        label=_("Valid until (exclusive, optional)"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty while the price holds; the day given is the first without it."),
    )

    @classmethod
    def initial_for(cls, tariff) -> dict:
        return {
            "resource": tariff.resource_id,
            "category": tariff.category,
            "price_per_gpu_hour": tariff.price_per_gpu_hour,
            "valid_from": tariff.valid_from,
            "valid_to": tariff.valid_to,
        }


class TrackBillingForm(forms.Form):
    track = forms.ChoiceField(choices=Track.choices)
    is_paid = forms.TypedChoiceField(
        choices=[("1", _("Invoiced")), ("0", _("Free"))], coerce=lambda value: value == "1"
    )


class SellerProfileForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_seller_%s")  # it shares the tariffs page
        super().__init__(*args, **kwargs)

    class Meta:
        model = SellerProfile
        fields = list(SELLER_FIELDS)
        widgets = {
            "address_kk": forms.Textarea(attrs={"rows": 2}),
            "address_ru": forms.Textarea(attrs={"rows": 2}),
            "address_en": forms.Textarea(attrs={"rows": 2}),
        }


# --- Runs and invoices -------------------------------------------------------------------


class RunMonthForm(forms.Form):
    month = MonthField(label=_("Month to invoice"))


class InvoiceFilterForm(forms.Form):
    """The invoice list's filters (GET). Invalid values are reported and left out."""

    month_from = MonthField(label=_("From month"), required=False)
    month_to = MonthField(label=_("To month"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *InvoiceState.choices]
    )
    q = forms.CharField(
        label=_("Organisation, BIN or number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and end < start:
            self.add_error("month_to", _("The last month cannot be before the first."))
        return data

    def filters(self) -> RegisterFilter:
        """The valid part of the input (all of it when the form is valid)."""
        if not self.is_bound:
            return RegisterFilter()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return RegisterFilter(
            month_from=data.get("month_from"),
            month_to=data.get("month_to"),
            state=data.get("state") or "",
            query=(data.get("q") or "").strip(),
        )


class PrefixedIdsForm(forms.Form):
    """Several forms share a page: each has its own element ids (id_<prefix>_<field>)."""

    prefix_auto_id = ""

    def __init__(self, *args, **kwargs):
        if self.prefix_auto_id:
            kwargs.setdefault("auto_id", f"id_{self.prefix_auto_id}_%s")
        super().__init__(*args, **kwargs)


class IssueForm(PrefixedIdsForm):
    prefix_auto_id = "issue"
    issue_date = forms.DateField(label=_("Date of issue"), widget=DateInput)


class IdListField(forms.Field):
    """Ids from checkboxes of the same name (any id: the service says which it refuses)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose invoices from the list.")}

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return [int(item) for item in values]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkIssueForm(IssueForm):
    prefix_auto_id = "bulk"
    invoice = IdListField(
        label=_("Invoices"),
        error_messages={"required": _("Choose at least one draft invoice to issue.")},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PaidForm(PrefixedIdsForm):
    prefix_auto_id = "paid"
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput)


class CancelForm(PrefixedIdsForm):
    prefix_auto_id = "cancel"
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A credit note for everything the invoice still holds is issued with it."),
    )


class CreditNoteForm(PrefixedIdsForm):
    """GPU-hours to credit per line (0 or empty: none), the reason and the date."""

    prefix_auto_id = "credit"

    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    issue_date = forms.DateField(label=_("Date of the credit note"), widget=DateInput)

    def __init__(self, *args, lines: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for row in lines:
            line = row["line"]
            self.fields[f"quantity_{line.pk}"] = forms.DecimalField(
                label=_("Line %(position)s: GPU-hours to credit (up to %(left)s)")
                % {"position": line.position, "left": row["remaining"]},
                required=False,
                min_value=0,
                max_value=row["remaining"],
                max_digits=20,
                decimal_places=6,
                widget=forms.NumberInput(attrs={"step": "0.000001", "min": "0"}),
            )
        # The lines first, then why and when.
        self.order_fields([*(f"quantity_{row['line'].pk}" for row in lines), "reason"])

    def line_fields(self):
        return [(row, self[f"quantity_{row['line'].pk}"]) for row in self.lines]

    def quantities(self) -> dict:
        return {
            row["line"].pk: self.cleaned_data.get(f"quantity_{row['line'].pk}")
            for row in self.lines
            if self.cleaned_data.get(f"quantity_{row['line'].pk}")
        }
