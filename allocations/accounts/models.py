"""People, their global roles, organisations and memberships."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.accounts.identifiers import validate_bin


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person. Logs in by e-mail; has no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    # The Linux/Slurm login this person uses on the cluster (validated in the scheduler issue).
    cluster_username = models.CharField(
        _("cluster username"), max_length=32, blank=True, null=True, unique=True
    )

    # Language for e-mails and letters; set from the interface language at sign-up.
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    """Global roles. Every signed-up user is an applicant; the others are granted."""

    APPLICANT = "applicant", _("Applicant")
    REVIEWER = "reviewer", _("Reviewer")
    TECHNICAL_ASSESSOR = "technical_assessor", _("Technical assessor")
    CALL_MANAGER = "call_manager", _("Call manager")
    FINANCE = "finance", _("Finance")
    IMPORT_DESK = "import_desk", _("Import desk")
    ADMIN = "admin", _("Administrator")


# Centre staff must protect their accounts with a second factor.
STAFF_ROLES = frozenset(
    {Role.TECHNICAL_ASSESSOR, Role.CALL_MANAGER, Role.FINANCE, Role.IMPORT_DESK, Role.ADMIN}
)


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique"),
            models.CheckConstraint(condition=~Q(role="applicant"), name="role_grant_not_applicant"),
        ]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class OrganisationCategory(models.TextChoices):
    STARTUP = "startup", _("Startup")
    UNIVERSITY = "university", _("University")
    RESEARCH = "research", _("Research centre")
    COMPANY = "company", _("Company")
    GOVERNMENT = "government", _("Government body")


class Organisation(models.Model):
    legal_name = models.CharField(_("legal name"), max_length=255)
    # Kazakh business identification number; non-resident organisations have none.
    bin = models.CharField(
        _("BIN"), max_length=12, blank=True, null=True, validators=[validate_bin]
    )
    category = models.CharField(_("category"), max_length=16, choices=OrganisationCategory.choices)
    country = models.CharField(_("country"), max_length=2, default="KZ")
    address = models.TextField(_("address"), blank=True)
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["bin"], condition=Q(bin__isnull=False), name="organisation_bin_unique"
            ),
            # A resident (KZ) organisation must carry a 12-digit BIN.
            models.CheckConstraint(
                condition=~Q(country="KZ") | Q(bin__regex=r"^[0-9]{12}$"),
                name="organisation_resident_has_bin",
            ),
        ]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_resident(self) -> bool:
        return self.country == "KZ"


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")
    BILLING = "billing", _("Billing contact")


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=14)


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Invitation(models.Model):
    """An e-mailed invitation to join an organisation in a given role."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    state = models.CharField(
        _("state"), max_length=16, choices=InvitationState.choices, default=InvitationState.PENDING
    )
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(state="pending"),
                name="invitation_one_pending_per_email",
            )
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"
