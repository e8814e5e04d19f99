"""factory_boy factories for the domain. Compose them; never hand-build rows in tests."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from allocations.accounts.models import (
    Membership,
    MembershipRole,
    Organisation,
    OrganisationCategory,
    Role,
    RoleGrant,
    User,
)
from allocations.applications.models import (
    Application,
    ApplicationState,
    Project,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.calls.models import Call, CallResource, Resource, RubricCriterion, Track

# A fixed TOTP secret so that tests (and the demo) can compute codes.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# Valid BINs from shared/KZ-FACTS.md; factories hand them out in turn.
VALID_BINS = ["940140000385", "950341000052", "961141000023", "070941024691", "990140004654"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """A verified primary e-mail, as allauth expects for login (pass verified=False to skip)."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


def make_staff(role: str, *, with_totp: bool = True, **kwargs) -> User:
    """A user holding a staff role, enrolled in TOTP unless told otherwise."""
    user = UserFactory(**kwargs)
    RoleGrant.objects.create(user=user, role=role)
    if with_totp and role != Role.REVIEWER:
        TOTP.activate(user, TEST_TOTP_SECRET)
    return user


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    legal_name = factory.Sequence(lambda n: f"Test Organisation {n} LLP")
    # Only 5 valid BINs are known; beyond that, use non-resident organisations.
    bin = factory.Sequence(lambda n: VALID_BINS[n % len(VALID_BINS)])
    category = OrganisationCategory.STARTUP
    country = "KZ"
    address = "Astana, Mangilik El 55"

    class Params:
        foreign = factory.Trait(bin=None, country="DE", address="Berlin")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.OWNER


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    name = factory.Sequence(lambda n: f"H200 partition {n}")
    cluster = "kazgpu"
    partition = factory.Sequence(lambda n: f"gpu{n}")
    gpu_type = "NVIDIA H200"
    gpus_per_node = 8
    node_count = 16
    capacity_gpu_hours = 500_000


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    title = factory.Sequence(lambda n: f"Call {n}")
    slug = factory.Sequence(lambda n: f"call-{n}")
    track = Track.STARTUP
    is_published = True
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    eligible_categories = factory.LazyFunction(lambda: [c.value for c in OrganisationCategory])


class CallResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallResource

    call = factory.SubFactory(CallFactory)
    resource = factory.SubFactory(ResourceFactory)
    capacity_gpu_hours = 100_000


class RubricCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricCriterion

    call = factory.SubFactory(CallFactory)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    position = factory.Sequence(lambda n: n)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Project {n}")
    abstract = "Training a Kazakh-language model."
    field_of_science = "Computer science"
    organisation = factory.SubFactory(OrganisationFactory)
    pi = factory.SubFactory(UserFactory)

    @factory.post_generation
    def pi_membership(self, create, extracted, **kwargs):
        """The PI is a team member and a member of the organisation."""
        if create:
            ProjectMember.objects.get_or_create(
                project=self, user=self.pi, defaults={"role": TeamRole.PI}
            )
            Membership.objects.get_or_create(
                organisation=self.organisation,
                user=self.pi,
                defaults={"role": MembershipRole.OWNER},
            )


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    project = factory.SubFactory(ProjectFactory)
    call = factory.SubFactory(CallFactory)
    state = ApplicationState.DRAFT
    start_date = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=40)).date())
    duration_months = 6
    justification = "We need GPU time to train and evaluate models."
    software_and_data = "PyTorch, 2 TB of text."
    created_by = factory.SelfAttribute("project.pi")

    class Params:
        submitted = factory.Trait(
            state=ApplicationState.SUBMITTED, submitted_at=factory.LazyFunction(timezone.now)
        )


class ResourceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceRequest

    application = factory.SubFactory(ApplicationFactory)
    resource = factory.SubFactory(ResourceFactory)
    gpu_hours = 1000
