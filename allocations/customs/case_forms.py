"""Forms of import cases. They parse and label; the services decide what is allowed."""

from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.core.forms import DateInput
from allocations.customs.models import (
    AttachmentKind,
    CaseState,
    Incoterms,
    PartyRole,
    SerialStatus,
)

DATE_WIDGET = DateInput()


def _country_choices():
    # A callable so that names follow the language of each request.
    return [("", _("— choose —")), *((country.code, country.name) for country in countries)]


def regime_name(regime) -> str:
    """The regime's name in the current language (English when there is none)."""
    language = (get_language() or "en")[:2]
    return getattr(regime, f"name_{language}", "") or regime.name_en


class RegimeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return regime_name(obj)


class CaseCreateForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Importing organisation"), queryset=None, empty_label=None
    )
    regime = RegimeChoiceField(
        label=_("Preference regime"),
        queryset=None,
        empty_label=_("— choose —"),
        help_text=_("The legal preference under which the equipment is imported."),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("For your own reference, e.g. “Second H200 rack, spring delivery”."),
    )

    def __init__(self, *args, organisations, regimes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["regime"].queryset = regimes


class CaseEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    regime = RegimeChoiceField(label=_("Preference regime"), queryset=None, empty_label=None)
    contract_number = forms.CharField(label=_("Contract number"), max_length=100, required=False)
    contract_date = forms.DateField(label=_("Contract date"), required=False, widget=DATE_WIDGET)
    incoterms = forms.ChoiceField(
        label=_("Incoterms"),
        required=False,
        choices=[("", _("— choose —")), *Incoterms.choices],
        help_text=_("The delivery term of the contract (Incoterms 2020)."),
    )
    currency = forms.CharField(
        label=_("Contract currency"),
        max_length=3,
        min_length=3,
        help_text=_("ISO 4217 code, e.g. USD. Every line is priced in this currency."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}),
    )
    dispatch_country = forms.ChoiceField(
        label=_("Country of dispatch"),
        required=False,
        choices=_country_choices,
        help_text=_(
            "Where the shipment leaves for Kazakhstan, which may differ from where the goods "
            "were made. Some regimes exclude shipments from certain countries."
        ),
    )
    planned_import_date = forms.DateField(
        label=_("Planned import date"), required=False, widget=DATE_WIDGET
    )
    installation_site = forms.CharField(
        label=_("Installation site"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Where the equipment will stand: address, building, data hall."),
    )

    def __init__(self, *args, regimes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regime"].queryset = regimes

    @classmethod
    def initial_from(cls, case) -> dict:
        return {
            "title": case.title,
            "regime": case.regime_id,
            "contract_number": case.contract_number,
            "contract_date": case.contract_date,
            "incoterms": case.incoterms,
            "currency": case.currency,
            "dispatch_country": case.dispatch_country,
            "planned_import_date": case.planned_import_date,
            "installation_site": case.installation_site,
        }

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["regime_id"] = data.pop("regime").pk
        return data


class PartyForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(value, label) for value, label in PartyRole.choices if value != "importer"],
    )
    name = forms.CharField(label=_("Name"), max_length=255)
    country = forms.ChoiceField(label=_("Country of registration"), choices=_country_choices)
    bin = forms.CharField(
        label=_("BIN"),
        max_length=20,
        required=False,
        help_text=_("12 digits, for parties registered in Kazakhstan."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=64,
        required=False,
        help_text=_("For foreign parties: company register number or VAT number."),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for foreign parties."),
    )

    def __init__(self, *args, fixed_role: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_role:
            del self.fields["role"]

    @classmethod
    def initial_from(cls, party) -> dict:
        return {
            "role": party.role,
            "name": party.name,
            "country": party.country,
            "bin": party.bin,
            "registration_number": party.registration_number,
            "address": party.address,
        }


class LineForm(forms.Form):
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        help_text=_("As in the commercial invoice, e.g. “GPU server, 8 × H200 141 GB”."),
    )
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=200)
    model = forms.CharField(label=_("Model"), max_length=200)
    hs_code = forms.CharField(
        label=_("HS code"),
        max_length=20,
        help_text=_("10 digits of the EAEU nomenclature; spaces allowed, e.g. 8471 50 000 0."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001")
    )
    unit = forms.CharField(
        label=_("Unit"),
        max_length=16,
        initial="pcs",
        help_text=_("“pcs” for pieces: each piece needs its serial number."),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=18, decimal_places=2, min_value=0
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("The contract currency."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}),
    )
    origin_country = forms.ChoiceField(label=_("Country of origin"), choices=_country_choices)
    is_datacentre_gpu = forms.BooleanField(
        label=_("Data-centre GPUs (H100/H200 class): the exporter's licence is needed"),
        required=False,
    )
    export_licence_number = forms.CharField(
        label=_("Export licence no."), max_length=64, required=False
    )

    @classmethod
    def initial_from(cls, line) -> dict:
        return {name: getattr(line, name) for name in cls.base_fields}


class SerialImportForm(forms.Form):
    line = forms.TypedChoiceField(
        label=_("Equipment line"), coerce=int, empty_value=None, required=False
    )
    serials = forms.CharField(
        label=_("Paste serial numbers"),
        required=False,
        max_length=1_000_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("One per line (commas, semicolons and tabs also separate them)."),
    )
    file = forms.FileField(
        label=_("Or upload a file"),
        required=False,
        help_text=_(
            "CSV or Excel (.xlsx). A column headed “Serial” holds the serial numbers; an "
            "optional column headed “Line” gives each one's line no. Without headings, the "
            "first column holds the serial numbers."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [
            ("", _("— the line column of the file —")),
            *((line.pk, f"{line.position}. {line.model} ({line.description})") for line in lines),
        ]
        if len(lines) == 1:
            self.fields["line"].initial = lines[0].pk

    def clean(self):
        data = super().clean()
        has_text = bool((data.get("serials") or "").strip())
        if has_text and data.get("file"):
            raise forms.ValidationError(_("Paste serial numbers or upload a file, not both."))
        if not has_text and not data.get("file") and not self.errors:
            raise forms.ValidationError(_("Paste serial numbers or choose a file to upload."))
        return data


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("PDF file"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ChangeRequestForm(forms.Form):
    comment = forms.CharField(
        label=_("What must the importer fix?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The importer reads this in the notice and on the case page."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeclarationForm(forms.Form):
    declaration_number = forms.CharField(
        label=_("Customs declaration no."),
        max_length=40,
        help_text=_("As on the goods declaration, e.g. 55301/040526/0012345."),
    )
    declaration_date = forms.DateField(label=_("Declaration date"), widget=DATE_WIDGET)
    release_date = forms.DateField(
        label=_("Release date"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("When customs released the goods. Leave empty if they are not released yet."),
    )


class ReleaseForm(forms.Form):
    release_date = forms.DateField(label=_("Release date"), widget=DATE_WIDGET)


class UseReportForm(forms.Form):
    text = forms.CharField(
        label=_("Report"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Where the equipment stands and what it is used for in this period."),
    )


class SerialChangeForm(forms.Form):
    serial = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("— unchanged —")), *SerialStatus.choices],
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def clean(self):
        data = super().clean()
        if data.get("serial", "").strip() and not data.get("status"):
            self.add_error("status", _("Choose the new status."))
        return data


SerialChangeFormSet = forms.formset_factory(SerialChangeForm, extra=0, max_num=500)


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False)
    regime = RegimeChoiceField(
        label=_("Regime"), required=False, queryset=None, empty_label=_("All regimes")
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Reference, registry no., organisation, BIN or serial number."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("submitted", _("Oldest submission first")),
            ("-submitted", _("Newest submission first")),
            ("due", _("Next use report due")),
            ("reference", _("Reference")),
        ],
    )

    def __init__(self, *args, regimes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regime"].queryset = regimes
        self.fields["state"].choices = [
            ("", _("All states")),
            *((s.value, s.label) for s in CaseState if s != CaseState.DRAFT),
        ]
