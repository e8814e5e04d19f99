"""Forms of the usage pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from allocations.core.forms import DateInput

DATE_WIDGET = DateInput()


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes before the start."))
        if start and end and (end - start).days > 366:
            self.add_error("end", _("Choose at most a year."))
        return data
