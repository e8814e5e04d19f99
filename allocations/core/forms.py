"""Form pieces every area shares."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    """The browser's date picker; its value is an ISO date whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ValidityPeriodForm(forms.Form):
    """A form with `valid_from` and an exclusive, optional `valid_to` (tariffs, tax rates,
    regimes): the end must come after the start. `prefix_id` gives the form element ids of
    its own when a page shows it beside another form with the same fields."""

    def __init__(self, *args, prefix_id="", **kwargs):
        super().__init__(*args, **kwargs)
        if prefix_id:
            self.auto_id = f"id_{prefix_id}_%s"

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end <= start:
            self.add_error("valid_to", _("The end must be after the start."))
        return data
