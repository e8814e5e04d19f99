"""Forms of the accounts area: sign-up extras, organisations, invitations, staff tools."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.accounts.models import MembershipRole, OrganisationCategory
from allocations.accounts.services import GRANTABLE_ROLES, clean_organisation_identity


class SignupProfileForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])


def _country_choices():
    # A callable so that names follow the language of each request.
    return [(country.code, country.name) for country in countries]


class OrganisationForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=255,
        help_text=_("As in the state register, e.g. “Qazaq AI” LLP."),
    )
    country = forms.ChoiceField(
        label=_("Country of registration"), choices=_country_choices, initial="KZ"
    )
    # Spaces are allowed while typing; the service strips them before the check-digit test.
    bin = forms.CharField(
        label=_("BIN (business identification number)"),
        required=False,
        max_length=20,
        help_text=_("12 digits. Required in Kazakhstan; leave empty for foreign organisations."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=OrganisationCategory.choices)
    address = forms.CharField(
        label=_("Legal address"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def clean(self):
        cleaned = super().clean()
        if "country" in cleaned and "bin" not in self.errors:
            try:
                cleaned["bin"] = clean_organisation_identity(
                    country=cleaned["country"], bin=cleaned.get("bin")
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    @classmethod
    def initial_from(cls, organisation) -> dict:
        return {
            "legal_name": organisation.legal_name,
            "country": organisation.country,
            "bin": organisation.bin or "",
            "category": organisation.category,
            "address": organisation.address,
        }


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by e-mail or name"), required=False, max_length=200)


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role to grant"),
        choices=GRANTABLE_ROLES,
    )


class ClusterUsernameForm(forms.Form):
    cluster_username = forms.CharField(
        label=_("Cluster username"),
        max_length=32,
        help_text=_(
            "Your login on the cluster's login nodes. The portal adds it to the Slurm accounts "
            "of your allocations; changing it moves your access to the new name."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
