"""Factories of the accounts area: organisations with unique, valid BINs; invitations."""

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from allocations.accounts.identifiers import bin_check_digit
from allocations.accounts.models import Invitation, MembershipRole
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

_serials = itertools.count(1)


def fresh_bin() -> str:
    """A valid BIN (registered 2001-04, resident head office) never handed out before."""
    while True:
        first_eleven = f"200140{next(_serials):05d}"
        check = bin_check_digit(first_eleven)
        if check is not None:
            return f"{first_eleven}{check}"


class UniqueBinOrganisationFactory(OrganisationFactory):
    bin = factory.LazyFunction(fresh_bin)


def make_owned_organisation(owner=None, **kwargs):
    organisation = UniqueBinOrganisationFactory(**kwargs)
    owner = owner or UserFactory()
    MembershipFactory(organisation=organisation, user=owner, role=MembershipRole.OWNER)
    return organisation


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(UniqueBinOrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = MembershipRole.MEMBER
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
