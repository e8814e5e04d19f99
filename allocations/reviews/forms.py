"""Forms of the reviews area. They parse and mark fields; services decide."""

from datetime import timedelta

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from allocations.reviews import rules
from allocations.reviews.models import Feasibility
from allocations.reviews.pool_services import MAX_LOAD_LIMIT
from allocations.reviews.review_services import score_field

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CallFilterForm(forms.Form):
    call = forms.TypedChoiceField(label=_("Call"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", _("All calls"))] + [(c.pk, c.title) for c in calls]

    def call_id(self) -> int | None:
        return self.cleaned_data["call"] if self.is_valid() else None


class AssessmentQueueForm(CallFilterForm):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("waiting", _("Waiting for assessment")),
            ("assessed", _("Assessed, before the panel")),
        ],
    )

    def assessed(self) -> bool:
        return self.is_valid() and self.cleaned_data["show"] == "assessed"


class AssessmentForm(forms.Form):
    feasibility = forms.ChoiceField(
        label=_("Feasibility on the requested resources"),
        choices=Feasibility.choices,
        widget=forms.RadioSelect,
    )
    recommended_gpu_hours = forms.IntegerField(label=_("Recommended GPU-hours"), min_value=1)
    comments = forms.CharField(
        label=_("Comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The applicant sees these comments during the right to reply."),
    )

    def __init__(self, *args, total_requested: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recommended_gpu_hours"].help_text = _(
            "The application requests %(total)s GPU-hours in total. You may recommend more or "
            "less if the work needs it."
        ) % {"total": number_format(total_requested, force_grouping=True)}


def _keywords_field():
    return forms.CharField(
        label=_("Expertise keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Separated by commas, e.g. “natural language processing, speech, climate”. "
            "Used to suggest applications whose field, title or abstract use these words."
        ),
    )


class ReviewerProfileForm(forms.Form):
    expertise = _keywords_field()
    max_active_assignments = forms.IntegerField(
        label=_("Most open reviews at a time"), min_value=1, max_value=MAX_LOAD_LIMIT, initial=5
    )
    is_active = forms.BooleanField(
        label=_("Available for new assignments"), required=False, initial=True
    )

    def clean_expertise(self):
        return rules.normalise_keywords(self.cleaned_data["expertise"])


class PoolAddForm(ReviewerProfileForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The person must already have an account; they get the reviewer role."),
    )
    field_order = ["email", "expertise", "max_active_assignments", "is_active"]


class ExpertiseForm(forms.Form):
    expertise = _keywords_field()

    def clean_expertise(self):
        return rules.normalise_keywords(self.cleaned_data["expertise"])


def keywords_text(keywords) -> str:
    return ", ".join(keywords or [])


class AssignForm(forms.Form):
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)
    due_at = forms.DateTimeField(
        label=_("Review due"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )

    def __init__(self, *args, suggested, pool, now, **kwargs):
        super().__init__(*args, **kwargs)
        suggested_ids = {s.profile.user_id for s in suggested}

        def label(profile) -> str:
            text = _("%(name)s (%(email)s), %(load)s of %(max)s open") % {
                "name": profile.user.full_name or profile.user.email,
                "email": profile.user.email,
                "load": profile.load,
                "max": profile.max_active_assignments,
            }
            if profile.conflicted:
                text = _("%(text)s: conflict of interest detected") % {"text": text}
            elif not profile.is_active:
                text = _("%(text)s: not available") % {"text": text}
            return text

        others = [p for p in pool if p.user_id not in suggested_ids and not p.already_assigned]
        self.fields["reviewer"].choices = [
            ("", _("Choose a reviewer")),
            (_("Suggested"), [(s.profile.user_id, label(s.profile)) for s in suggested]),
            (_("Whole pool"), [(p.user_id, label(p)) for p in others]),
        ]
        self.fields["due_at"].initial = (now + timedelta(days=rules.DEFAULT_REVIEW_DAYS)).replace(
            second=0, microsecond=0
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (recorded in the history)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this application?"),
        choices=[
            ("no", _("No: I have no personal, professional or financial tie to the applicants")),
            ("yes", _("Yes: I have a conflict of interest")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=_("Statement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you have a conflict: describe it briefly."),
    )

    def clean(self):
        data = super().clean()
        if data.get("has_conflict") and not data.get("statement", "").strip():
            self.add_error("statement", _("Describe the conflict of interest."))
        return data


class ReviewForm(forms.Form):
    """One score per rubric criterion, then comments and a recommended amount."""

    comment_applicant = forms.CharField(
        label=_("Comment for the applicant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Shown to the applicant without your name. Required to submit."),
    )
    comment_panel = forms.CharField(
        label=_("Comment for the panel"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the centre's staff and the panel read this."),
    )
    recommended_gpu_hours = forms.IntegerField(
        label=_("Recommended GPU-hours"), min_value=1, required=False
    )

    def __init__(self, *args, call, criteria, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        scale = [(value, str(value)) for value in range(call.scale_min, call.scale_max + 1)]
        stored = {s.criterion_id: s.score for s in review.scores.all()} if review else {}
        score_fields = {}
        for criterion in self.criteria:
            name = score_field(criterion.pk)
            score_fields[name] = forms.TypedChoiceField(
                label=_("%(criterion)s (weight %(weight)s)")
                % {"criterion": criterion.name, "weight": number_format(criterion.weight)},
                choices=scale,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                help_text=criterion.description,
                initial=stored.get(criterion.pk),
            )
        self.fields = {**score_fields, **self.fields}
        if review is not None and not self.is_bound:
            self.initial.update(
                comment_applicant=review.comment_applicant,
                comment_panel=review.comment_panel,
                recommended_gpu_hours=review.recommended_gpu_hours,
            )

    def score_fields(self):
        return [self[score_field(c.pk)] for c in self.criteria]

    def other_fields(self):
        return [
            self[name] for name in ("comment_applicant", "comment_panel", "recommended_gpu_hours")
        ]

    def payload(self) -> dict:
        data = self.cleaned_data
        return {
            "scores": {c.pk: data.get(score_field(c.pk)) for c in self.criteria},
            "comment_applicant": data.get("comment_applicant", ""),
            "comment_panel": data.get("comment_panel", ""),
            "recommended_gpu_hours": data.get("recommended_gpu_hours"),
        }


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply to the reviews"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("The panel reads your reply together with the reviews. You can send it once."),
    )
