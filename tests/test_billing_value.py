"""The value of an allocation's compute at its tariff: shown to free tracks as what they
were given, to paid tracks as what will be invoiced; per-role access."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.billing import selectors
from allocations.calls.models import Track
from tests.conftest import ROLE_FIXTURES
from tests.factories_applications import add_to_team
from tests.factories_billing import TariffFactory, allocation_for, use

HOUR = 3600


@pytest.fixture
def free_allocation(db):
    allocation = allocation_for(track=Track.ACADEMIC, category="university")
    TariffFactory(
        resource=allocation.resource, category="university", price_per_gpu_hour=Decimal("800.00")
    )
    today = timezone.localdate()
    use(allocation, today - timedelta(days=1), 10 * HOUR)
    use(allocation, today, 5 * HOUR + 1800)
    return allocation


def test_value_is_hours_times_the_tariff(free_allocation):
    value = selectors.allocation_value(allocation=free_allocation, today=timezone.localdate())
    assert value["value"] == Decimal("12400.00")  # 15.5 h × 800
    assert value["is_paid"] is False


def test_a_price_change_values_each_day_at_its_price(free_allocation):
    today = timezone.localdate()
    TariffFactory(
        resource=free_allocation.resource,
        category="university",
        price_per_gpu_hour=Decimal("1000.00"),
        valid_from=today,
    )
    old = free_allocation.resource.tariffs.get(price_per_gpu_hour=Decimal("800.00"))
    old.valid_to = today
    old.save()
    value = selectors.allocation_value(allocation=free_allocation, today=today)
    assert value["value"] == Decimal("8000.00") + Decimal("5500.00")


def test_the_team_sees_the_value_on_its_page_and_as_an_htmx_region(client, free_allocation):
    client.force_login(free_allocation.project.pi)
    url = reverse("billing:allocation_value", args=[free_allocation.pk])
    page = client.get(url).content.decode()
    assert "12,400.00 KZT" in page or "12400.00 KZT" in page
    assert "free of charge" in page
    region = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert region.lstrip().startswith('<div id="value"')
    usage = client.get(reverse("usage:allocation_usage", args=[free_allocation.pk])).content
    assert url.encode() in usage  # the usage page loads it (and links to it without JS)


@pytest.mark.parametrize("role", [*ROLE_FIXTURES, "member"])
def test_value_per_role(client, request, free_allocation, role):
    url = reverse("billing:allocation_value", args=[free_allocation.pk])
    if role == "member":
        from tests.factories import UserFactory

        user = UserFactory()
        add_to_team(free_allocation.project, user)
        client.force_login(user)
    elif role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("member", "assessor", "call_manager", "finance", "admin_user"):
        assert response.status_code == 200
    else:
        assert response.status_code == 404


def test_nothing_used_is_worth_nothing(db):
    allocation = allocation_for(track=Track.STARTUP, start=date(2026, 1, 1))
    value = selectors.allocation_value(allocation=allocation, today=date(2026, 2, 1))
    assert value["value"] == Decimal("0.00") and value["is_paid"] is True
