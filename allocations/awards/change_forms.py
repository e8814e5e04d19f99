"""Forms for extension and supplement requests. They parse and mark fields; services decide."""

from django import forms
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from allocations.awards.forms import DATE_WIDGET
from allocations.awards.models import ChangeKind, ChangeRequestState

# Far above any real request; keeps sums within the database's integer range.
MAX_GPU_HOURS = 1_000_000_000


def kind_or_none(value) -> str | None:
    """The kind named in the query or the form data, or None when it names none."""
    return value if value in ChangeKind.values else None


class ChangeRequestForm(forms.Form):
    """Ask for an extension or a supplement. With a known `kind`, only its fields show."""

    kind = forms.ChoiceField(
        label=_("What do you need?"), choices=ChangeKind.choices, widget=forms.RadioSelect
    )
    requested_end_date = forms.DateField(
        label=_("New end date"), required=False, widget=DATE_WIDGET
    )
    requested_gpu_hours = forms.IntegerField(
        label=_("Additional GPU-hours"),
        required=False,
        min_value=0,
        max_value=MAX_GPU_HOURS,
        help_text=_("Required for a supplement, optional for an extension."),
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the change is for, and why the current allocation is not enough."),
    )

    def __init__(self, *args, allocation, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_end_date"].help_text = _(
            "It must be later than the current end date, %(end)s."
        ) % {"end": date_format(allocation.end_date)}
        if kind is None:
            return
        self.fields["kind"].initial = kind
        self.fields["kind"].widget = forms.HiddenInput()
        if kind == ChangeKind.SUPPLEMENT:
            del self.fields["requested_end_date"]
            self.fields["requested_gpu_hours"] = forms.IntegerField(
                label=_("Additional GPU-hours"), min_value=1, max_value=MAX_GPU_HOURS
            )
        else:
            self.fields["requested_gpu_hours"].label = _("Additional GPU-hours (optional)")
            self.fields["requested_gpu_hours"].help_text = ""

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if (
            kind == ChangeKind.EXTENSION
            and data.get("requested_end_date") is None
            and "requested_end_date" not in self.errors
        ):
            self.add_error("requested_end_date", _("Give the new end date."))
        if (
            kind == ChangeKind.SUPPLEMENT
            and not data.get("requested_gpu_hours")
            and "requested_gpu_hours" not in self.errors
        ):
            self.add_error("requested_gpu_hours", _("A supplement needs at least one GPU-hour."))
        return data


class ChangeDecisionForm(forms.Form):
    """Approve (by default what was asked for) or reject an open request."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ChangeRequestState.APPROVED, _("Approve")),
            (ChangeRequestState.REJECTED, _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    granted_gpu_hours = forms.IntegerField(
        label=_("Additional GPU-hours to grant"),
        required=False,
        min_value=0,
        max_value=MAX_GPU_HOURS,
    )
    granted_end_date = forms.DateField(
        label=_("New end date to grant"), required=False, widget=DATE_WIDGET
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required to reject. The team reads it in the notice they receive."),
    )
    override = forms.BooleanField(
        label=_("Approve beyond the call's remaining capacity"), required=False
    )
    override_reason = forms.CharField(
        label=_("Reason for exceeding the capacity"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, change, **kwargs):
        super().__init__(*args, **kwargs)
        self.extension = change.kind == ChangeKind.EXTENSION
        hours = self.fields["granted_gpu_hours"]
        hours.initial = change.requested_gpu_hours
        hours.help_text = _("Requested: %(hours)s") % {
            "hours": number_format(change.requested_gpu_hours, force_grouping=True)
        }
        if self.extension:
            self.fields["granted_end_date"].initial = change.requested_end_date
            self.fields["granted_end_date"].help_text = _(
                "Requested: %(end)s. The allocation now ends on %(current)s."
            ) % {
                "end": date_format(change.requested_end_date),
                "current": date_format(change.allocation.end_date),
            }
        else:
            del self.fields["granted_end_date"]

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == ChangeRequestState.REJECTED and not data.get("reason", "").strip():
            self.add_error("reason", _("Give the reason for rejecting the request."))
        if outcome != ChangeRequestState.APPROVED:
            return data
        if data.get("granted_gpu_hours") is None and "granted_gpu_hours" not in self.errors:
            self.add_error("granted_gpu_hours", _("Give the GPU-hours to grant (0 for none)."))
        if (
            self.extension
            and data.get("granted_end_date") is None
            and "granted_end_date" not in self.errors
        ):
            self.add_error("granted_end_date", _("Give the new end date."))
        if data.get("override") and not data.get("override_reason", "").strip():
            self.add_error("override_reason", _("Say why the call's capacity may be exceeded."))
        return data
