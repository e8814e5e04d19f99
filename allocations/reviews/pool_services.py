"""The reviewer pool: who may be asked to review, their expertise and how much they take on."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Role, RoleGrant, User
from allocations.core.audit import record
from allocations.core.notifications import notify_user
from allocations.core.permissions import Capability, require
from allocations.reviews import rules
from allocations.reviews.models import ReviewerProfile

MAX_LOAD_LIMIT = 50


def _guard_load(max_active_assignments) -> None:
    if max_active_assignments is None or not 1 <= max_active_assignments <= MAX_LOAD_LIMIT:
        raise ValidationError(
            {
                "max_active_assignments": _("Choose between 1 and %(max)s open reviews.")
                % {"max": MAX_LOAD_LIMIT}
            }
        )


@transaction.atomic
def add_to_pool(
    *, actor, email: str, expertise, max_active_assignments: int, is_active: bool
) -> ReviewerProfile:
    """Put a registered person in the pool; grants the reviewer role if they lack it."""
    require(actor, Capability.MANAGE_CALLS)
    _guard_load(max_active_assignments)
    address = email.strip()
    user = User.objects.select_for_update().filter(email__iexact=address, is_active=True).first()
    if user is None:
        raise ValidationError(
            {
                "email": _(
                    "Nobody with the e-mail address %(email)s has an account. Ask them to sign "
                    "up on the portal first."
                )
                % {"email": address}
            }
        )
    if ReviewerProfile.objects.filter(user=user).exists():
        raise ValidationError({"email": _("This person is already in the reviewer pool.")})
    keywords = rules.normalise_keywords(expertise)
    profile = ReviewerProfile.objects.create(
        user=user,
        expertise=keywords,
        max_active_assignments=max_active_assignments,
        is_active=is_active,
    )
    _grant, role_granted = RoleGrant.objects.get_or_create(user=user, role=Role.REVIEWER)
    record(
        actor=actor,
        verb="reviewer.added",
        target=user,
        to_state=Role.REVIEWER if role_granted else "",
        data={
            "expertise": keywords,
            "max_active_assignments": max_active_assignments,
            "is_active": is_active,
            "role_granted": role_granted,
        },
    )
    notify_user(
        user,
        template="reviews_pool_added",
        context={"path": reverse("reviews:my_expertise"), "expertise": ", ".join(keywords)},
    )
    return profile


@transaction.atomic
def update_reviewer(
    *, actor, profile_id: int, expertise, max_active_assignments: int, is_active: bool
) -> ReviewerProfile:
    """The call manager changes a pool member's keywords, load limit or availability."""
    require(actor, Capability.MANAGE_CALLS)
    profile = ReviewerProfile.objects.select_for_update().filter(pk=profile_id).first()
    if profile is None:
        raise Http404
    _guard_load(max_active_assignments)
    values = {
        "expertise": rules.normalise_keywords(expertise),
        "max_active_assignments": max_active_assignments,
        "is_active": is_active,
    }
    changed = [name for name, value in values.items() if getattr(profile, name) != value]
    if not changed:
        return profile
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    record(
        actor=actor,
        verb="reviewer.updated",
        target=profile.user,
        data={"changed": changed, **{name: values[name] for name in changed}},
    )
    return profile


@transaction.atomic
def update_own_expertise(*, actor, expertise) -> ReviewerProfile:
    """A reviewer keeps their own keywords current (joins the pool if not yet in it)."""
    require(actor, Capability.REVIEW)
    keywords = rules.normalise_keywords(expertise)
    profile, _created = ReviewerProfile.objects.select_for_update().get_or_create(user=actor)
    if profile.expertise == keywords and not _created:
        return profile
    profile.expertise = keywords
    profile.save(update_fields=["expertise"])
    record(
        actor=actor, verb="reviewer.expertise_updated", target=actor, data={"expertise": keywords}
    )
    return profile
