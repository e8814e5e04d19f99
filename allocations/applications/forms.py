"""Forms of the applications area. They parse and mark fields; services decide."""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import OrganisationCategory
from allocations.applications import rules
from allocations.applications.models import ApplicationState, TeamRole
from allocations.calls.models import Track

# --- Projects -------------------------------------------------------------------


class ProjectEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    abstract = forms.CharField(
        label=_("Abstract"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the project does and why it needs GPU time, in a few sentences."),
    )
    field_of_science = forms.CharField(
        label=_("Field of science or industry"), max_length=120, required=False
    )


class ProjectCreateForm(ProjectEditForm):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=None,
        empty_label=None,
        help_text=_("The organisation that owns the project and will hold any allocation."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class TeamMemberForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person must already have an account on the portal."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(TeamRole.CO_PI, TeamRole.CO_PI.label), (TeamRole.MEMBER, TeamRole.MEMBER.label)],
        initial=TeamRole.MEMBER,
    )


# --- Applications -------------------------------------------------------------


class StartApplicationForm(forms.Form):
    project = forms.ModelChoiceField(
        label=_("Project"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        help_text=_("Projects on which you are the principal investigator or co-investigator."),
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


class ApplicationForm(forms.Form):
    """The editable content of an application, with one GPU-hours field per call resource.

    A blank GPU-hours field means the resource is not requested.
    """

    start_date = forms.DateField(
        label=_("Requested start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    duration_months = forms.IntegerField(
        label=_("Duration (months)"),
        required=False,
        error_messages={"invalid": _("Enter a whole number of months.")},
    )
    justification = forms.CharField(
        label=_("Scientific or business justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Why the work matters, what you will compute and why this many GPU-hours."),
    )
    software_and_data = forms.CharField(
        label=_("Software and data"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Frameworks, containers, data sets and their sizes."),
    )

    def __init__(self, *args, application, today, **kwargs):
        self.application = application
        self.today = today
        self.capacities = list(application.call.capacities.all())
        requested = {r.resource_id: r.gpu_hours for r in application.requests.all()}
        kwargs.setdefault(
            "initial",
            {
                "start_date": application.start_date,
                "duration_months": application.duration_months,
                "justification": application.justification,
                "software_and_data": application.software_and_data,
                **{
                    rules.gpu_hours_field(c.resource_id): requested.get(c.resource_id)
                    for c in self.capacities
                },
            },
        )
        super().__init__(*args, **kwargs)
        max_months = application.call.max_duration_months
        self.fields["duration_months"].help_text = _("Between 1 and %(max)s months.") % {
            "max": max_months
        }
        self.fields["duration_months"].widget.attrs.update({"min": 1, "max": max_months})
        self.fields["start_date"].widget.attrs["min"] = today.isoformat()
        for capacity in self.capacities:
            self.fields[rules.gpu_hours_field(capacity.resource_id)] = forms.IntegerField(
                label=_("GPU-hours on %(resource)s") % {"resource": capacity.resource.name},
                required=False,
                help_text=_("At most %(limit)s. Leave blank if you do not need this resource.")
                % {"limit": number_format(capacity.capacity_gpu_hours, force_grouping=True)},
                widget=forms.NumberInput(
                    attrs={"min": 1, "max": capacity.capacity_gpu_hours, "step": 1}
                ),
                error_messages={"invalid": _("Enter a whole number of GPU-hours.")},
            )

    @property
    def gpu_hour_fields(self):
        return [self[rules.gpu_hours_field(c.resource_id)] for c in self.capacities]

    @property
    def text_fields(self):
        return [self[name] for name in ("start_date", "duration_months")]

    def gpu_hours(self) -> dict[int, int | None]:
        return {
            c.resource_id: self.cleaned_data.get(rules.gpu_hours_field(c.resource_id))
            for c in self.capacities
        }

    def draft_values(self) -> dict:
        """Keyword arguments for services.save_draft, from a valid form."""
        values = {name: self.cleaned_data.get(name) for name in ApplicationForm.base_fields}
        return {**values, "gpu_hours": self.gpu_hours()}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        errors = rules.draft_value_errors(
            call=self.application.call,
            capacities=self.capacities,
            start_date=cleaned.get("start_date"),
            duration_months=cleaned.get("duration_months"),
            gpu_hours=self.gpu_hours(),
            today=self.today,
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problems = rules.pdf_upload_errors(upload)
        if problems:
            raise forms.ValidationError(problems)
        return upload


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


# --- Staff list ---------------------------------------------------------------


class StaffFilterForm(forms.Form):
    """Filters of the staff application list, read from the query string."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Reference, title, organisation, BIN or PI e-mail"),
    )
    call = forms.TypedChoiceField(label=_("Call"), required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any"))]
        + [(v, label) for v, label in ApplicationState.choices if v != ApplicationState.DRAFT],
    )
    track = forms.ChoiceField(
        label=_("Track"), required=False, choices=[("", _("Any")), *Track.choices]
    )
    category = forms.ChoiceField(
        label=_("Organisation category"),
        required=False,
        choices=[("", _("Any")), *OrganisationCategory.choices],
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("-submitted", _("Newest first")), ("submitted", _("Oldest first"))],
    )

    def __init__(self, *args, calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", _("Any")), *((c.pk, c.title) for c in calls)]
