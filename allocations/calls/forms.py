"""Forms of the call managers' pages. They parse and validate; services save."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import OrganisationCategory
from allocations.calls.models import Call, CallResource, CallState, Resource, RubricCriterion
from allocations.calls.services import CALL_FIELDS, RESOURCE_FIELDS, CapacityRow, CriterionRow

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = RESOURCE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CallStateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All calls")), *CallState.choices],
    )


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class CallForm(forms.ModelForm):
    eligible_categories = forms.MultipleChoiceField(
        label=_("Eligible organisation categories"),
        choices=OrganisationCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one organisation category.")},
    )

    class Meta:
        model = Call
        fields = CALL_FIELDS
        widgets = {
            "opens_at": _datetime_widget(),
            "closes_at": _datetime_widget(),
            "description": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "slug": _("Used in the call's web address: lower-case letters, digits and hyphens."),
            "is_continuous": _("Applications are accepted at any time after opening."),
            "closes_at": _("Required unless intake is continuous (then it is ignored)."),
            "blind_review": _("Reviewers do not see who the applicants are."),
            "reply_window_days": _("Days applicants have to answer the reviews."),
        }

    def clean(self):
        cleaned = super().clean()
        opens_at = cleaned.get("opens_at")
        closes_at = cleaned.get("closes_at")
        if cleaned.get("is_continuous"):
            cleaned["closes_at"] = None
        elif closes_at is None:
            if "closes_at" not in self.errors:
                self.add_error("closes_at", _("Give a closing time, or choose continuous intake."))
        elif opens_at is not None and closes_at <= opens_at:
            self.add_error("closes_at", _("The call must close after it opens."))
        scale_min = cleaned.get("scale_min")
        scale_max = cleaned.get("scale_max")
        if scale_min is not None and scale_max is not None and scale_max <= scale_min:
            self.add_error("scale_max", _("The highest score must be greater than the lowest."))
        return cleaned


class CallResourceForm(forms.ModelForm):
    class Meta:
        model = CallResource
        fields = ["resource", "capacity_gpu_hours"]
        labels = {"capacity_gpu_hours": _("GPU-hours for this call")}

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resources is not None:
            self.fields["resource"].queryset = resources
        self.fields["capacity_gpu_hours"].error_messages["min_value"] = _(
            "The capacity must be a positive number of GPU-hours."
        )

    def clean(self):
        cleaned = super().clean()
        resource = cleaned.get("resource")
        hours = cleaned.get("capacity_gpu_hours")
        if resource is not None and hours is not None and hours > resource.capacity_gpu_hours:
            self.add_error(
                "capacity_gpu_hours",
                _("%(resource)s has only %(hours)s GPU-hours per period.")
                % {"resource": resource.name, "hours": resource.capacity_gpu_hours},
            )
        return cleaned

    # The service replaces a call's capacity rows as a whole, so checking one row against
    # the stored rows would wrongly refuse moving a resource between rows; duplicates within
    # the submission are caught by CapacityFormSet.
    def validate_unique(self):
        pass

    def validate_constraints(self):
        pass


class RubricCriterionForm(forms.ModelForm):
    class Meta:
        model = RubricCriterion
        fields = ["name", "description", "weight", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def clean_weight(self):
        weight = self.cleaned_data["weight"]
        if weight is None or weight <= 0:
            raise ValidationError(_("The weight must be positive."))
        return weight


class _RequiredWhenPublishedFormSet(forms.BaseInlineFormSet):
    """An inline formset that can insist on at least one row (for published calls)."""

    empty_message = ""

    def __init__(self, *args, require_one: bool = False, **kwargs):
        self.require_one = require_one
        super().__init__(*args, **kwargs)

    def kept_forms(self) -> list[forms.ModelForm]:
        """Rows to save: stored rows not marked for removal, and filled-in new rows."""
        return [
            form
            for form in self.forms
            if not self._should_delete_form(form)
            and (form.instance.pk is not None or form.has_changed())
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if self.require_one and not self.kept_forms():
            raise ValidationError(self.empty_message)


class CapacityFormSet(_RequiredWhenPublishedFormSet):
    empty_message = _("A published call needs at least one resource capacity.")

    def validate_unique(self):
        # Replaced by the clearer per-row duplicate message in clean().
        pass

    def clean(self):
        super().clean()
        seen = set()
        for form in self.kept_forms():
            resource = form.cleaned_data.get("resource")
            if resource is None:
                continue
            if resource.pk in seen:
                form.add_error("resource", _("This resource is already listed above."))
            seen.add(resource.pk)

    def rows(self) -> list[CapacityRow]:
        return [
            CapacityRow(
                resource=form.cleaned_data["resource"],
                capacity_gpu_hours=form.cleaned_data["capacity_gpu_hours"],
            )
            for form in self.kept_forms()
        ]


class CriterionFormSet(_RequiredWhenPublishedFormSet):
    empty_message = _("A published call needs at least one rubric criterion.")

    def rows(self) -> list[CriterionRow]:
        return [
            CriterionRow(
                id=form.instance.pk,
                name=form.cleaned_data["name"],
                description=form.cleaned_data.get("description", ""),
                weight=form.cleaned_data["weight"],
                position=form.cleaned_data.get("position") or 0,
            )
            for form in self.kept_forms()
        ]


CapacityFormSetFactory = forms.inlineformset_factory(
    Call, CallResource, form=CallResourceForm, formset=CapacityFormSet, extra=2, can_delete=True
)
CriterionFormSetFactory = forms.inlineformset_factory(
    Call,
    RubricCriterion,
    form=RubricCriterionForm,
    formset=CriterionFormSet,
    extra=2,
    can_delete=True,
)


class CallEditor:
    """The call form and its two formsets, validated and read out together."""

    def __init__(self, *, call: Call | None, resources, data=None):
        self.call = call
        instance = call or Call()
        published = bool(call and call.is_published)
        self.form = CallForm(data=data, instance=instance, prefix="call")
        self.capacities = CapacityFormSetFactory(
            data=data,
            instance=instance,
            prefix="capacities",
            require_one=published,
            form_kwargs={"resources": resources},
        )
        next_position = 1
        if call is not None and call.pk:
            top = call.criteria.aggregate(m=Max("position"))["m"]
            next_position = (top or 0) + 1
        self.criteria = CriterionFormSetFactory(
            data=data,
            instance=instance,
            prefix="criteria",
            require_one=published,
            initial=[{"weight": Decimal("1.00"), "position": next_position + i} for i in range(2)],
        )

    def is_valid(self) -> bool:
        # Validate all three so every error shows at once.
        results = [self.form.is_valid(), self.capacities.is_valid(), self.criteria.is_valid()]
        return all(results)

    def payload(self) -> dict:
        return {
            "fields": {name: self.form.cleaned_data.get(name) for name in CALL_FIELDS},
            "capacities": self.capacities.rows(),
            "criteria": self.criteria.rows(),
        }

    def add_error(self, error: ValidationError) -> None:
        """Show a service's refusal on the call form (field errors go next to their field)."""
        if hasattr(error, "error_dict"):
            known = {k: v for k, v in error.error_dict.items() if k in self.form.fields}
            other = [e for k, v in error.error_dict.items() if k not in known for e in v]
            if known:
                self.form.add_error(None, ValidationError(known))
            if other:
                self.form.add_error(None, other)
        else:
            self.form.add_error(None, error)
