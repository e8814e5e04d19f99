"""Forms of the regime pages. They parse and mark fields; the regime services decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.core.forms import DateInput, ValidityPeriodForm
from allocations.customs.models import (
    AttachmentKind,
    ExclusionBasis,
    ImportTaxRate,
    PreferenceRegime,
)


def _country_choices():
    # A callable so that names follow the language of each request.
    return [(country.code, f"{country.name} ({country.code})") for country in countries]


class RegimeForm(ValidityPeriodForm):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("A short name used in links and reports, e.g. astana-hub-vat."),
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=255)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=255)
    name_kk = forms.CharField(label=_("Name (Kazakh)"), max_length=255)
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The law and articles granting the preference, as cited in applications."),
    )
    authority = forms.CharField(
        label=_("Authority"),
        max_length=255,
        help_text=_("Who grants or confirms the preference."),
    )
    exempts_duty = forms.BooleanField(label=_("Exempts customs duty"), required=False)
    exempts_vat = forms.BooleanField(label=_("Exempts import VAT"), required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(
        label=_("Valid until (exclusive, optional)"),
        required=False,
        widget=DateInput,
        help_text=_("The first day the regime no longer applies; empty while it has no end."),
    )
    excluded_origins = forms.MultipleChoiceField(
        label=_("Excluded countries"),
        choices=_country_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Goods from these countries lose an exemption, e.g. the member states of the "
            "Eurasian Economic Union for the Astana Hub VAT exemption. Hold Ctrl (⌘ on a "
            "Mac) to choose several."
        ),
    )
    exclusion_basis = forms.ChoiceField(
        label=_("Compare the excluded countries with"),
        choices=ExclusionBasis.choices,
        initial=ExclusionBasis.ORIGIN,
        widget=forms.RadioSelect,
        help_text=_(
            "The Astana Hub exemption excludes shipments dispatched from EAEU states, "
            "whatever the goods' origin; other regimes look at each line's origin."
        ),
    )
    exclusion_removes = forms.ChoiceField(
        label=_("Goods of an excluded country lose"),
        choices=PreferenceRegime._meta.get_field("exclusion_removes").choices,
        initial="both",
    )
    required_documents = forms.MultipleChoiceField(
        label=_("Documents a case must carry"),
        choices=AttachmentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    report_every_months = forms.IntegerField(
        label=_("Use report every (months)"),
        min_value=0,
        max_value=120,
        initial=12,
        help_text=_("0: no periodic use reports."),
    )
    monitoring_years = forms.IntegerField(
        label=_("Monitoring period (years)"), min_value=0, max_value=50, initial=3
    )
    is_active = forms.BooleanField(
        label=_("Open for new cases"),
        required=False,
        initial=True,
        help_text=_("Untick to stop new cases; cases already open keep the regime."),
    )

    def clean(self):
        data = super().clean()
        if "exempts_duty" in data and not data.get("exempts_duty") and not data.get("exempts_vat"):
            self.add_error(
                "exempts_duty",
                _("A regime exempts customs duty, import VAT or both: tick at least one."),
            )
        return data

    @classmethod
    def initial_for(cls, regime: PreferenceRegime) -> dict:
        return {name: getattr(regime, name) for name in cls.base_fields}


class GoodsPasteForm(forms.Form):
    lines = forms.CharField(
        label=_("Goods list lines"),
        max_length=500_000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "code-block", "spellcheck": "false"}),
        help_text=_(
            "One item per line: HS code prefix; list item no.; description — for example "
            "“8471 50;12;Servers with GPUs”. Tabs work too (paste from a spreadsheet). An "
            "item whose prefix is already listed gets the new number and description."
        ),
    )
    replace = forms.BooleanField(
        label=_("Replace the whole list: remove the items not pasted"), required=False
    )


class TaxRateForm(ValidityPeriodForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ImportTaxRate.Kind.choices)
    hs_prefix = forms.CharField(
        label=_("HS code prefix"),
        required=False,
        max_length=20,
        help_text=_(
            "Customs duty: the rate of the longest matching prefix applies; leave empty for "
            "the default rate. Import VAT: leave empty."
        ),
    )
    rate_percent = forms.DecimalField(
        label=_("Rate (%)"),
        min_value=0,
        max_value=Decimal("99.99"),
        max_digits=5,
        decimal_places=2,
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(
        label=_("Valid until (exclusive, optional)"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty while the rate holds; the day given is the first without it."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=255,
        help_text=_("Where the rate comes from, e.g. the tariff line or the law."),
    )

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["rate"] = data.pop("rate_percent") / 100
        return data

    @classmethod
    def initial_for(cls, rate: ImportTaxRate) -> dict:
        return {
            "kind": rate.kind,
            "hs_prefix": rate.hs_prefix,
            "rate_percent": (rate.rate * 100).quantize(Decimal("0.01")),
            "valid_from": rate.valid_from,
            "valid_to": rate.valid_to,
            "note": rate.note,
        }
