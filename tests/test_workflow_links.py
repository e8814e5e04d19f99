"""Application pages lead each person to the next step of the review workflow."""

import pytest
from django.urls import reverse

from allocations.applications.models import ApplicationState
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_call_manager_is_led_to_screening_and_the_assessor_is_not(client_as):
    application = ApplicationFactory(submitted=True)
    screen = reverse("awards:screen", args=[application.pk])
    client, _ = client_as("call_manager")
    page = client.get(reverse("applications:staff_detail", args=[application.pk]))
    assert screen in page.content.decode()
    client, _ = client_as("assessor")
    page = client.get(reverse("applications:staff_detail", args=[application.pk]))
    assert page.status_code == 200 and screen not in page.content.decode()


def test_assessor_is_led_to_the_assessment(client_as):
    application = ApplicationFactory(submitted=True, state=ApplicationState.TECHNICAL_REVIEW)
    client, _ = client_as("assessor")
    page = client.get(reverse("applications:staff_detail", args=[application.pk])).content
    assert reverse("reviews:assessment", args=[application.pk]) in page.decode()


def test_panel_application_offers_the_decision(client_as):
    application = ApplicationFactory(submitted=True, state=ApplicationState.PANEL)
    client, _ = client_as("call_manager")
    page = client.get(reverse("applications:staff_detail", args=[application.pk])).content
    assert reverse("awards:decide", args=[application.pk]) in page.decode()


def test_applicant_in_reply_is_led_to_the_reviews(client):
    application = ApplicationFactory(submitted=True, state=ApplicationState.REPLY)
    client.force_login(application.project.pi)
    page = client.get(reverse("applications:application_detail", args=[application.pk]))
    assert reverse("reviews:reply", args=[application.pk]) in page.content.decode()
    assert "Read the reviews and reply" in page.content.decode()


def test_submitted_application_has_no_outcome_links_for_the_applicant(client):
    application = ApplicationFactory(submitted=True)
    client.force_login(application.project.pi)
    page = client.get(reverse("applications:application_detail", args=[application.pk]))
    assert reverse("reviews:reply", args=[application.pk]) not in page.content.decode()
