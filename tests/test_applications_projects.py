"""Projects and teams: creation, editing, adding and removing people."""

import pytest
from django.urls import reverse

from allocations.applications.models import Project, ProjectMember, TeamRole
from allocations.core.models import AuditEvent
from tests.factories import MembershipFactory, OrganisationFactory, ProjectFactory, UserFactory
from tests.factories_applications import add_to_team


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_without_organisation_the_user_is_sent_to_register_one(client, applicant):
    client.force_login(applicant)
    response = client.get(reverse("applications:project_create"))
    assert response.status_code == 200
    assert reverse("accounts:organisation_create") in response.content.decode()
    response = client.post(reverse("applications:project_create"), {"title": "X"})
    assert not Project.objects.exists()


def test_create_project_makes_the_creator_pi(client, applicant):
    membership = MembershipFactory(user=applicant)
    client.force_login(applicant)
    response = client.post(
        reverse("applications:project_create"),
        {
            "title": "Kazakh LLM",
            "abstract": "Pre-training",
            "field_of_science": "NLP",
            "organisation": membership.organisation.pk,
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:project_detail", args=[project.pk])
    assert project.pi == applicant
    assert project.organisation == membership.organisation
    assert ProjectMember.objects.get(project=project).role == TeamRole.PI
    event = AuditEvent.objects.get(verb="project.created")
    assert event.actor == applicant
    assert event.target_id == str(project.pk)


def test_create_project_with_someone_elses_organisation_is_refused(client, applicant):
    MembershipFactory(user=applicant)
    foreign = OrganisationFactory(foreign=True, legal_name="Not mine GmbH")
    client.force_login(applicant)
    response = client.post(
        reverse("applications:project_create"),
        {"title": "Stolen", "abstract": "typed text kept", "organisation": foreign.pk},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Select a valid choice" in content
    assert "typed text kept" in content
    assert "Not mine GmbH" not in content
    assert not Project.objects.exists()


def test_create_project_without_title_shows_error_and_keeps_values(client, applicant):
    membership = MembershipFactory(user=applicant)
    client.force_login(applicant)
    response = client.post(
        reverse("applications:project_create"),
        {"title": "", "abstract": "My abstract", "organisation": membership.organisation.pk},
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert "My abstract" in response.content.decode()
    assert not Project.objects.exists()


def test_project_list_shows_only_my_projects(client, applicant, other_applicant):
    mine = ProjectFactory(pi=applicant, title="Mine project")
    team = ProjectFactory(title="Team project")
    add_to_team(team, applicant)
    ProjectFactory(pi=other_applicant, title="Their project")
    client.force_login(applicant)
    content = client.get(reverse("applications:project_list")).content.decode()
    assert mine.title in content and team.title in content
    assert "Their project" not in content


@pytest.mark.parametrize("role", [TeamRole.PI, TeamRole.CO_PI])
def test_pi_and_co_pi_edit_the_project(client, applicant, role):
    project = ProjectFactory() if role == TeamRole.CO_PI else ProjectFactory(pi=applicant)
    if role == TeamRole.CO_PI:
        add_to_team(project, applicant, TeamRole.CO_PI)
    client.force_login(applicant)
    url = reverse("applications:project_edit", args=[project.pk])
    response = client.post(url, {"title": "Renamed", "abstract": "New", "field_of_science": ""})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Renamed"
    assert AuditEvent.objects.filter(verb="project.updated", actor=applicant).exists()


def test_edit_project_with_blank_title_changes_nothing(client, applicant):
    project = ProjectFactory(pi=applicant, title="Original")
    client.force_login(applicant)
    url = reverse("applications:project_edit", args=[project.pk])
    response = client.post(url, {"title": "", "abstract": "kept abstract"})
    assert response.status_code == 200
    assert "kept abstract" in response.content.decode()
    project.refresh_from_db()
    assert project.title == "Original"


def test_add_member_by_email(client, applicant):
    project = ProjectFactory(pi=applicant)
    colleague = UserFactory(email="colleague@example.org")
    client.force_login(applicant)
    url = reverse("applications:project_team", args=[project.pk])
    response = client.post(url, {"email": "Colleague@Example.org", "role": TeamRole.CO_PI})
    assert response.status_code == 302
    member = ProjectMember.objects.get(project=project, user=colleague)
    assert member.role == TeamRole.CO_PI
    event = AuditEvent.objects.get(verb="project.member_added")
    assert event.actor == applicant
    assert event.data["role"] == TeamRole.CO_PI


def test_add_unknown_email_asks_to_sign_up_first(client, applicant):
    project = ProjectFactory(pi=applicant)
    client.force_login(applicant)
    url = reverse("applications:project_team", args=[project.pk])
    response = client.post(url, {"email": "nobody@example.org", "role": TeamRole.MEMBER})
    assert response.status_code == 200
    content = response.content.decode()
    assert "sign up" in content
    assert 'value="nobody@example.org"' in content
    assert project.members.count() == 1


def test_add_existing_member_or_pi_role_is_refused(client, applicant):
    project = ProjectFactory(pi=applicant)
    client.force_login(applicant)
    url = reverse("applications:project_team", args=[project.pk])
    response = client.post(url, {"email": applicant.email, "role": TeamRole.MEMBER})
    assert "already on the team" in response.content.decode()
    other = UserFactory()
    response = client.post(url, {"email": other.email, "role": TeamRole.PI})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert project.members.count() == 1


def test_remove_member_but_never_the_pi(client, applicant):
    project = ProjectFactory(pi=applicant)
    member = add_to_team(project, UserFactory())
    pi_member = project.members.get(role=TeamRole.PI)
    client.force_login(applicant)
    remove = "applications:project_member_remove"
    response = client.post(reverse(remove, args=[project.pk, pi_member.pk]), follow=True)
    assert "cannot be removed" in response.content.decode()
    assert ProjectMember.objects.filter(pk=pi_member.pk).exists()
    client.post(reverse(remove, args=[project.pk, member.pk]))
    assert not ProjectMember.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(verb="project.member_removed", actor=applicant).exists()


def test_plain_member_cannot_manage_the_team(client, applicant):
    project = ProjectFactory()
    add_to_team(project, applicant)
    client.force_login(applicant)
    url = reverse("applications:project_team", args=[project.pk])
    newcomer = UserFactory()
    assert client.post(url, {"email": newcomer.email, "role": "member"}).status_code == 403
    pi_member = project.members.get(role=TeamRole.PI)
    remove = reverse("applications:project_member_remove", args=[project.pk, pi_member.pk])
    assert client.post(remove).status_code == 403
    assert project.members.count() == 2
