"""The reviewer pool, suggestions (overlap, then load; conflicts excluded) and assignments."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allocations.accounts.models import Role, RoleGrant
from allocations.applications.models import ApplicationState
from allocations.core.models import AuditEvent, Notification
from allocations.reviews import selectors, services
from allocations.reviews.models import AssignmentState, ReviewAssignment, ReviewerProfile
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.factories_applications import add_to_team
from tests.factories_reviews import (
    application_in,
    assignment_for,
    call_with_rubric,
    pool_member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def nlp_application():
    project = ProjectFactory(
        title="Kazakh speech recognition",
        abstract="We train a large language model for speech and NLP.",
        field_of_science="Computer science",
    )
    return application_in(ApplicationState.PEER_REVIEW, pi=project.pi, project=project)


def _names(suggestions):
    return [s.profile.user.email for s in suggestions]


def test_suggestions_rank_by_overlap_then_load(nlp_application):
    two_busy = pool_member(expertise=["speech", "nlp"], email="two-busy@example.org")
    two_free = pool_member(expertise=["nlp", "speech", "climate"], email="two-free@example.org")
    one = pool_member(expertise=["speech"], email="one@example.org")
    none = pool_member(expertise=["astronomy"], email="none@example.org")
    other = application_in(ApplicationState.PEER_REVIEW)
    assignment_for(other, two_busy)
    assignment_for(application_in(ApplicationState.PEER_REVIEW), two_busy)
    # A submitted review elsewhere is not current load.
    assignment_for(other, two_free, state=AssignmentState.SUBMITTED)

    ranked = selectors.suggestions(application=nlp_application)
    assert _names(ranked) == [
        two_free.email,
        two_busy.email,
        one.email,
        none.email,
    ]
    assert ranked[0].matched == ["nlp", "speech"]
    assert ranked[1].profile.load == 2


def test_suggestions_exclude_conflicts_inactive_full_and_assigned(nlp_application):
    org_member = pool_member(expertise=["nlp"], email="org@example.org")
    MembershipFactory(organisation=nlp_application.project.organisation, user=org_member)
    team_member = pool_member(expertise=["nlp"], email="team@example.org")
    add_to_team(nlp_application.project, team_member)
    pool_member(expertise=["nlp"], is_active=False, email="away@example.org")
    full = pool_member(expertise=["nlp"], max_active_assignments=1, email="full@example.org")
    assignment_for(application_in(ApplicationState.PEER_REVIEW), full)
    declined = pool_member(expertise=["nlp"], email="declined@example.org")
    assignment_for(nlp_application, declined, state=AssignmentState.DECLINED)
    fine = pool_member(expertise=[], email="fine@example.org")

    assert _names(selectors.suggestions(application=nlp_application)) == [fine.email]
    flags = {
        p.user.email: p.conflicted for p in selectors.pool_choices(application=nlp_application)
    }
    assert flags["org@example.org"] and flags["team@example.org"]
    assert not flags["fine@example.org"]


def test_suggestions_and_pool_run_constant_queries(nlp_application):
    def count():
        with CaptureQueriesContext(connection) as queries:
            selectors.suggestions(application=nlp_application)
            list(selectors.reviewer_pool())
        return len(queries)

    pool_member(expertise=["nlp"])
    few = count()
    for _ in range(6):
        reviewer = pool_member(expertise=["speech"])
        assignment_for(application_in(ApplicationState.PEER_REVIEW), reviewer)
    assert count() == few


def _assign(actor, application, reviewer, **overrides):
    now = timezone.now()
    kwargs = {"due_at": now + timedelta(days=14), "now": now, **overrides}
    return services.assign_reviewer(
        actor=actor, application_id=application.pk, reviewer_id=reviewer.pk, **kwargs
    )


def test_assign_refuses_a_member_of_the_applicant_organisation(call_manager, nlp_application):
    reviewer = pool_member(full_name="Aigerim Sadykova")
    MembershipFactory(organisation=nlp_application.project.organisation, user=reviewer)
    with pytest.raises(ValidationError) as refused:
        _assign(call_manager, nlp_application, reviewer)
    message = refused.value.message_dict["reviewer"][0]
    assert "Aigerim Sadykova is a member of the applicant organisation" in message
    assert "Conflict of interest" in message
    assert not ReviewAssignment.objects.exists()


def test_assign_refuses_team_members_declared_conflicts_and_duplicates(
    call_manager, nlp_application
):
    on_team = pool_member()
    add_to_team(nlp_application.project, on_team)
    with pytest.raises(ValidationError, match="project team"):
        _assign(call_manager, nlp_application, on_team)

    declared = pool_member()
    assignment_for(nlp_application, declared, state=AssignmentState.CONFLICT)
    with pytest.raises(ValidationError, match="declared a conflict"):
        _assign(call_manager, nlp_application, declared)

    twice = pool_member()
    _assign(call_manager, nlp_application, twice)
    with pytest.raises(ValidationError, match="already assigned"):
        _assign(call_manager, nlp_application, twice)
    assert ReviewAssignment.objects.filter(reviewer=twice).count() == 1


def test_assign_guards_state_role_pool_due_date_and_complement(
    call_manager, assessor, reviewer, nlp_application
):
    member = pool_member()
    with pytest.raises(PermissionDenied):
        _assign(assessor, nlp_application, member)
    with pytest.raises(ValidationError) as not_pooled:
        _assign(call_manager, nlp_application, UserFactory())
    assert "reviewer" in not_pooled.value.message_dict
    with pytest.raises(ValidationError) as past:
        _assign(call_manager, nlp_application, member, due_at=timezone.now() - timedelta(hours=1))
    assert "due_at" in past.value.message_dict

    for state in (ApplicationState.SUBMITTED, ApplicationState.REPLY, ApplicationState.PANEL):
        application = application_in(state)
        with pytest.raises(ValidationError, match="technical review or peer review"):
            _assign(call_manager, application, member)

    call = call_with_rubric(reviewers_per_application=1)
    application = application_in(ApplicationState.TECHNICAL_REVIEW, call=call)
    _assign(call_manager, application, member)
    with pytest.raises(ValidationError, match="already has the 1 reviewers"):
        _assign(call_manager, application, pool_member())
    assert ReviewAssignment.objects.filter(application=application).count() == 1


def test_assign_notifies_the_reviewer_without_project_content(call_manager, nlp_application):
    member = pool_member()
    assignment = _assign(call_manager, nlp_application, member)
    notice = Notification.objects.get(user=member, kind="reviews_assigned")
    assert nlp_application.reference in notice.subject
    assert "speech" not in notice.body.lower()
    assert notice.url.endswith(f"/reviews/{assignment.pk}/")
    event = AuditEvent.objects.get(verb="review.assigned")
    assert event.data["reviewer_id"] == member.pk and event.actor == call_manager


def test_decline_needs_a_reason_and_tells_the_assigning_manager(call_manager, nlp_application):
    member = pool_member()
    assignment = _assign(call_manager, nlp_application, member)
    with pytest.raises(ValidationError):
        services.decline_assignment(
            actor=member, assignment_id=assignment.pk, reason=" ", now=timezone.now()
        )
    services.decline_assignment(
        actor=member, assignment_id=assignment.pk, reason="On leave", now=timezone.now()
    )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.DECLINED
    assert assignment.decline_reason == "On leave"
    notice = Notification.objects.get(user=call_manager, kind="reviews_declined")
    assert "On leave" in notice.body
    with pytest.raises(ValidationError):
        services.accept_assignment(actor=member, assignment_id=assignment.pk, now=timezone.now())
    # The manager may now assign someone else in the freed place.
    _assign(call_manager, nlp_application, pool_member())


def test_withdraw_frees_the_place_and_tells_the_reviewer(call_manager, nlp_application):
    member = pool_member()
    assignment = _assign(call_manager, nlp_application, member)
    with pytest.raises(ValidationError):
        services.withdraw_assignment(actor=call_manager, assignment_id=assignment.pk, reason="")
    services.withdraw_assignment(actor=call_manager, assignment_id=assignment.pk, reason="Late")
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.WITHDRAWN
    assert Notification.objects.filter(user=member, kind="reviews_withdrawn").exists()
    with pytest.raises(ValidationError):
        services.withdraw_assignment(actor=call_manager, assignment_id=assignment.pk, reason="x")
    assert selectors.open_load(user=member) == 0


def test_add_to_pool_grants_the_reviewer_role_once(call_manager, reviewer):
    person = UserFactory(email="expert@example.org")
    profile = services.add_to_pool(
        actor=call_manager,
        email="EXPERT@example.org ",
        expertise=["NLP", "speech "],
        max_active_assignments=3,
        is_active=True,
    )
    assert profile.user == person and profile.expertise == ["nlp", "speech"]
    assert RoleGrant.objects.filter(user=person, role=Role.REVIEWER).count() == 1
    assert AuditEvent.objects.get(verb="reviewer.added").data["role_granted"] is True
    with pytest.raises(ValidationError) as twice:
        services.add_to_pool(
            actor=call_manager,
            email=person.email,
            expertise=[],
            max_active_assignments=3,
            is_active=True,
        )
    assert "email" in twice.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        services.add_to_pool(
            actor=call_manager,
            email="nobody@example.org",
            expertise=[],
            max_active_assignments=3,
            is_active=True,
        )
    assert "nobody@example.org" in unknown.value.message_dict["email"][0]
    # Already a reviewer: no second grant.
    services.add_to_pool(
        actor=call_manager,
        email=reviewer.email,
        expertise=[],
        max_active_assignments=2,
        is_active=False,
    )
    assert RoleGrant.objects.filter(user=reviewer, role=Role.REVIEWER).count() == 1
    with pytest.raises(PermissionDenied):
        services.add_to_pool(
            actor=reviewer,
            email=person.email,
            expertise=[],
            max_active_assignments=1,
            is_active=True,
        )


def test_update_reviewer_and_own_expertise(call_manager, reviewer):
    profile = ReviewerProfile.objects.create(user=reviewer, expertise=["old"])
    services.update_reviewer(
        actor=call_manager,
        profile_id=profile.pk,
        expertise="climate, hpc",
        max_active_assignments=7,
        is_active=False,
    )
    profile.refresh_from_db()
    assert profile.expertise == ["climate", "hpc"] and not profile.is_active
    with pytest.raises(ValidationError):
        services.update_reviewer(
            actor=call_manager,
            profile_id=profile.pk,
            expertise="",
            max_active_assignments=0,
            is_active=True,
        )
    services.update_own_expertise(actor=reviewer, expertise="Vision, NLP")
    profile.refresh_from_db()
    assert profile.expertise == ["vision", "nlp"]
    with pytest.raises(PermissionDenied):
        services.update_own_expertise(actor=call_manager, expertise="x")
