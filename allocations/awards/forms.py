"""Forms of the awards area. They parse and mark fields; services decide."""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from allocations.awards.models import AllocationState, DecisionOutcome
from allocations.core.forms import DateInput

DATE_WIDGET = DateInput()


class ScreeningForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome of the screening"),
        choices=[
            ("eligible", _("Eligible: send to technical review")),
            ("ineligible", _("Not eligible: reject with a letter")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when the application is not eligible; it appears in the letter."),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "ineligible" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the application is not eligible."))
        return data


class PanelEntryForm(forms.Form):
    """One row's adjustments on the panel. Blank fields mean "automatic"."""

    position = forms.IntegerField(label=_("Position"), required=False, min_value=1)
    proposed_gpu_hours = forms.IntegerField(
        label=_("Proposed GPU-hours"), required=False, min_value=1
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    """Approve (amount per requested resource and period), waitlist or reject."""

    outcome = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown in the decision letter."),
    )
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE_WIDGET)
    override = forms.BooleanField(
        label=_("Approve beyond the call's remaining capacity"), required=False
    )
    override_reason = forms.CharField(
        label=_("Reason for exceeding the capacity"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, requests, waitlisted: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (DecisionOutcome.APPROVED, _("Approve")),
            (DecisionOutcome.WAITLISTED, _("Waitlist")),
            (DecisionOutcome.REJECTED, _("Reject")),
        ]
        if waitlisted:
            choices = [c for c in choices if c[0] != DecisionOutcome.WAITLISTED]
        self.fields["outcome"].choices = choices
        self.amount_fields = []
        for request in requests:
            name = f"gpu_hours_{request.resource_id}"
            self.fields[name] = forms.IntegerField(
                label=_("GPU-hours on %(resource)s") % {"resource": request.resource.name},
                min_value=0,
                required=False,
                help_text=_("Requested: %(hours)s")
                % {"hours": number_format(request.gpu_hours, force_grouping=True)},
            )
            self.amount_fields.append((request.resource_id, name))
        order = ["outcome", "reason", *(name for _rid, name in self.amount_fields)]
        self.order_fields([*order, "start_date", "end_date", "override", "override_reason"])

    def amounts(self) -> dict[int, int]:
        return {rid: self.cleaned_data.get(name) or 0 for rid, name in self.amount_fields}

    def amount_bound_fields(self):
        return [self[name] for _rid, name in self.amount_fields]

    def clean(self):
        data = super().clean()
        if data.get("outcome") != DecisionOutcome.APPROVED:
            return data
        start, end = data.get("start_date"), data.get("end_date")
        if start is None and "start_date" not in self.errors:
            self.add_error("start_date", _("Give the start date of the allocation."))
        if end is None and "end_date" not in self.errors:
            self.add_error("end_date", _("Give the end date of the allocation."))
        if start and end and end <= start:
            self.add_error("end_date", _("The end date must be after the start date."))
        amount_errors = any(name in self.errors for _rid, name in self.amount_fields)
        if not amount_errors and not any(self.amounts().values()):
            first = self.amount_fields[0][1] if self.amount_fields else None
            self.add_error(first, _("Grant GPU-hours on at least one resource to approve."))
        if data.get("override") and not data.get("override_reason", "").strip():
            self.add_error("override_reason", _("Say why the call's capacity may be exceeded."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the GPU-hours go back to the call and cannot be recovered."),
    )


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, granted: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["used_gpu_hours"] = forms.IntegerField(
            label=_("GPU-hours used so far"),
            min_value=0,
            max_value=granted,
            help_text=_("The rest goes back to the call and is offered to the waitlist."),
        )


class AllocationFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *AllocationState.choices],
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The team reads it in the notice they receive."),
    )


class AllocationMemberForm(forms.Form):
    """Put a team member on the allocation (the service checks they are on the team)."""

    user = forms.IntegerField(label=_("Team member"), min_value=1)
