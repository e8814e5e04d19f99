"""The panel page: ranking, proposals, running totals against capacity, the row forms
(with and without htmx, with bad input), and a constant number of queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards import selectors, services
from allocations.awards.models import PanelEntry
from allocations.core.models import AuditEvent
from allocations.reviews.models import AssignmentState
from tests.factories_awards import (  # noqa: F401  (fixtures)
    ReviewAssignmentFactory,
    ReviewFactory,
    TechnicalAssessmentFactory,
    add_reviews,
    application_at,
    call_with_capacity,
    fast_passwords,
    set_panel_entry,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def board(db, call_manager):
    """Capacity 10 000, 2 000 already granted (E). Expected order: D (fixed), C, A, B."""
    call, _rows = call_with_capacity(capacities=(10_000,))
    a = application_at(call, hours=4000)
    add_reviews(a, [4.5, 4.0])
    b = application_at(call, hours=5000)
    add_reviews(b, [3.0])
    TechnicalAssessmentFactory(application=b, recommended_gpu_hours=3000)
    c = application_at(call, hours=6000)
    add_reviews(c, [5, 5], recommended=2000, comment_panel="Panel-only: strong group.")
    d = application_at(call, hours=1000)
    set_panel_entry(d, position=1)
    e = application_at(call, hours=2000)
    services.decide(
        actor=call_manager,
        application_id=e.pk,
        outcome="approved",
        reason="Top of last round.",
        amounts={e.requests.get().resource_id: 2000},
        start_date=timezone.localdate(),
        end_date=timezone.localdate().replace(year=timezone.localdate().year + 1),
        now=timezone.now(),
    )
    return call, {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_ranking_proposals_and_running_totals(board):
    call, apps = board
    view = selectors.panel(call=selectors.call_for_staff(pk=call.pk))
    ids = [row.application_id for row in view.rows]
    assert ids == [apps["d"].pk, apps["c"].pk, apps["a"].pk, apps["b"].pk]
    rid = call.capacities.get().resource_id
    assert [row.proposed[rid] for row in view.rows] == [1000, 2000, 4000, 3000]
    assert [row.running[rid] for row in view.rows] == [3000, 5000, 9000, 12000]
    assert [row.over_capacity for row in view.rows] == [False, False, False, True]
    assert [row.score for row in view.rows] == [None, 5, Decimal("4.25"), 3]
    assert view.committed == {rid: 2000}
    assert view.summary[0]["left"] == 10_000 - 2000 - 10_000
    assert [a.pk for a in view.decided] == [apps["e"].pk]


def test_withdrawn_or_unsubmitted_reviews_do_not_count(board):
    call, apps = board
    ReviewFactory(
        assignment=ReviewAssignmentFactory(application=apps["b"], state=AssignmentState.WITHDRAWN),
        weighted_score=5,
    )
    ReviewFactory(assignment=ReviewAssignmentFactory(application=apps["b"]), submitted_at=None)
    view = selectors.panel(call=selectors.call_for_staff(pk=call.pk))
    row = next(r for r in view.rows if r.application_id == apps["b"].pk)
    assert row.review_count == 1 and row.score == 3


def test_panel_page_shows_the_numbers_and_marks_rows_past_capacity(client, call_manager, board):
    call, apps = board
    client.force_login(call_manager)
    response = client.get(reverse("awards:panel", args=[call.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    order = [html.index(apps[key].reference) for key in ("d", "c", "a", "b")]
    assert order == sorted(order)
    b_row = re.search(rf'<tr id="row-{apps["b"].pk}"[^>]*>(.*?)</tr>', html, re.S)
    assert 'class="over-capacity"' in b_row.group(0)
    assert "12,000 / 10,000" in b_row.group(1)
    assert "Beyond capacity" in b_row.group(1)
    assert html.count("Beyond capacity") == 1
    assert "Panel-only: strong group." in html
    assert apps["a"].project.organisation.legal_name in html
    assert "Top of last round." not in html  # reasons live on the decisions page
    assert apps["e"].reference in html  # decided, shown for context


def _entry_url(application):
    return reverse("awards:panel_entry", args=[application.pk])


def test_row_form_without_javascript_saves_and_redirects(client, call_manager, board):
    call, apps = board
    client.force_login(call_manager)
    response = client.post(
        _entry_url(apps["b"]), {"position": "1", "proposed_gpu_hours": "2500", "page": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("awards:panel", args=[call.pk]) + f"?page=1#row-{apps['b'].pk}"
    )
    entry = PanelEntry.objects.get(application=apps["b"])
    assert (entry.position, entry.proposed_gpu_hours) == (1, 2500)
    event = AuditEvent.objects.get(verb="panel.entry_updated")
    assert event.data["after"] == {"position": 1, "proposed_gpu_hours": 2500}
    view = selectors.panel(call=selectors.call_for_staff(pk=call.pk))
    assert view.rows[0].application_id == apps["b"].pk  # position ties: earlier submission


def test_row_form_with_htmx_returns_the_tables_only(client, call_manager, board):
    call, apps = board
    client.force_login(call_manager)
    response = client.post(
        _entry_url(apps["a"]),
        {"position": "", "proposed_gpu_hours": "100", "page": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="panel-tables">')
    assert "<html" not in html
    assert f"{apps['a'].reference} updated." in html
    assert PanelEntry.objects.get(application=apps["a"]).proposed_gpu_hours == 100


def test_clearing_the_fields_goes_back_to_automatic(client, call_manager, board):
    call, apps = board
    client.force_login(call_manager)
    client.post(_entry_url(apps["d"]), {"position": "", "proposed_gpu_hours": "", "page": "1"})
    entry = PanelEntry.objects.get(application=apps["d"])
    assert entry.position is None and entry.proposed_gpu_hours is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"position": "0"}, "position", "greater than or equal to 1"),
        ({"position": "first"}, "position", "Enter a whole number."),
        ({"proposed_gpu_hours": "-3"}, "proposed", "greater than or equal to 1"),
        ({"proposed_gpu_hours": "1.5"}, "proposed", "Enter a whole number."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_row_form_bad_input(client, call_manager, board, data, field, message, htmx):
    call, apps = board
    set_panel_entry(apps["a"], position=3, proposed=700)
    client.force_login(call_manager)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    payload = {"position": "", "proposed_gpu_hours": "", "page": "1", **data}
    response = client.post(_entry_url(apps["a"]), payload, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    pk = apps["a"].pk
    assert re.search(rf'id="{field}-{pk}"[^>]*aria-invalid="true"', html)
    error = re.search(rf'<div class="errorlist" id="{field}-{pk}-error">(.*?)</div>', html)
    assert message in error.group(1)
    typed = next(iter(data.values()))
    assert f'value="{typed}"' in html
    entry = PanelEntry.objects.get(application=apps["a"])
    assert (entry.position, entry.proposed_gpu_hours) == (3, 700)
    assert not AuditEvent.objects.filter(verb="panel.entry_updated").exists()


def test_row_form_refuses_applications_not_on_the_panel(client, call_manager, board):
    call, apps = board
    client.force_login(call_manager)
    response = client.post(_entry_url(apps["e"]), {"position": "1", "page": "1"})
    assert response.status_code == 200
    assert "Only applications on the panel or the waitlist can be ranked" in (
        response.content.decode()
    )
    assert not PanelEntry.objects.filter(application=apps["e"]).exists()


def test_waitlisted_rows_have_their_own_table(client, call_manager, board):
    call, apps = board
    services.decide(
        actor=call_manager,
        application_id=apps["b"].pk,
        outcome="waitlisted",
        reason="Below the line.",
        now=timezone.now(),
    )
    view = selectors.panel(call=selectors.call_for_staff(pk=call.pk))
    assert [row.application_id for row in view.waitlist] == [apps["b"].pk]
    assert apps["b"].pk not in [row.application_id for row in view.rows]
    client.force_login(call_manager)
    html = client.get(reverse("awards:panel", args=[call.pk])).content.decode()
    assert html.index(apps["b"].reference) > html.index("<h2>Waitlist</h2>")


def _panel_queries(client, call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("awards:panel", args=[call.pk]))
    assert response.status_code == 200
    return len(queries)


def test_panel_runs_a_constant_number_of_queries(client, call_manager):
    call, rows = call_with_capacity(capacities=(50_000, 20_000))
    client.force_login(call_manager)

    def add(n, start):
        for i in range(start, start + n):
            hours = {rows[0].resource_id: 100 + i}
            if i % 2:
                hours[rows[1].resource_id] = 50 + i
            application = application_at(call, hours=hours)
            add_reviews(application, [3 + i % 3], recommended=90)
            if i % 3 == 0:
                TechnicalAssessmentFactory(application=application, recommended_gpu_hours=80)
                set_panel_entry(application, position=i)
        decided = application_at(
            call, state=ApplicationState.WAITLISTED, hours=10
        )  # waitlist rows count too
        set_panel_entry(decided, proposed=5)

    add(5, 0)
    few = _panel_queries(client, call)
    add(35, 5)
    many = _panel_queries(client, call)
    assert few == many
    assert many <= 16, many
