"""Demo people and organisations: staff of every role (enrolled in TOTP with one shared,
printed secret so a newcomer can sign in), the applicants and their organisations."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from allocations.accounts.models import (
    STAFF_ROLES,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationCategory,
    Role,
    RoleGrant,
    User,
)

DEMO_PASSWORD = "demo-password-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    needs_totp: bool


STAFF = [
    ("admin@demo.kz", "Aigerim Admin", Role.ADMIN),
    ("manager@demo.kz", "Marat Call-Manager", Role.CALL_MANAGER),
    ("assessor@demo.kz", "Timur Assessor", Role.TECHNICAL_ASSESSOR),
    ("finance@demo.kz", "Dana Finance", Role.FINANCE),
    ("imports@demo.kz", "Yerlan Import-Desk", Role.IMPORT_DESK),
    ("reviewer1@demo.kz", "Prof. Saule Reviewer", Role.REVIEWER),
    ("reviewer2@demo.kz", "Dr. Arman Reviewer", Role.REVIEWER),
]
APPLICANTS = [
    ("founder@startup.demo.kz", "Alia Founder", "alia"),
    ("researcher@university.demo.kz", "Nurlan Researcher", "nurlan"),
    ("engineer@company.demo.kz", "Olga Engineer", "olga"),
]
# Each applicant owns one organisation, in the order of APPLICANTS.
ORGANISATIONS = [
    {
        "legal_name": "Steppe AI LLP",
        "bin": "940140000385",
        "category": OrganisationCategory.STARTUP,
        "country": "KZ",
        "address": "Astana, Mangilik El 55/20",
    },
    {
        "legal_name": "Al-Farabi Research University",
        "bin": "950341000052",
        "category": OrganisationCategory.UNIVERSITY,
        "country": "KZ",
        "address": "Almaty, al-Farabi 71",
    },
    {
        "legal_name": "Caspian Analytics GmbH",
        "bin": None,
        "category": OrganisationCategory.COMPANY,
        "country": "DE",
        "address": "Berlin, Friedrichstr. 1",
    },
]


def _user(email: str, name: str, cluster_username: str | None = None) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "cluster_username": cluster_username}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _staff(email: str, name: str, role: str) -> User:
    user = _user(email, name)
    RoleGrant.objects.get_or_create(user=user, role=role)
    if role == Role.ADMIN:
        User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    if (
        role in STAFF_ROLES
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def _organisation(owner: User, **fields) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        legal_name=fields.pop("legal_name"), defaults={**fields, "created_by": owner}
    )
    Membership.objects.get_or_create(
        organisation=org, user=owner, defaults={"role": MembershipRole.OWNER}
    )
    return org


def load_staff() -> dict[str, User]:
    """The staff, by role (the two reviewers share one: the last one listed)."""
    return {role: _staff(email, name, role) for email, name, role in STAFF}


def load_applicants() -> tuple[list[User], list[Organisation]]:
    """The applicants (founder, researcher, engineer) and the organisation each owns; the
    engineer is also the startup's billing contact."""
    applicants = [_user(email, name, login) for email, name, login in APPLICANTS]
    organisations = [
        _organisation(owner, **fields)
        for owner, fields in zip(applicants, ORGANISATIONS, strict=True)
    ]
    engineer, startup = applicants[2], organisations[0]
    Membership.objects.get_or_create(
        organisation=startup, user=engineer, defaults={"role": MembershipRole.BILLING}
    )
    return applicants, organisations


def logins() -> list[DemoLogin]:
    staff = [DemoLogin(e, Role(r).label, r in STAFF_ROLES) for e, _, r in STAFF]
    return staff + [DemoLogin(e, str(Role.APPLICANT.label), False) for e, _, _ in APPLICANTS]
