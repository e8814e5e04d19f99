"""What the case pages of both sides share: the addresses of a case's pages and the guard
of the importer's edit pages. Pages with a form call core.web.save_form, one-button posts
core.web.run_action; either way the service has the last word on who may act and in
which state."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allocations.customs import case_selectors as selectors
from allocations.customs.case_access import EDITABLE_STATES

READ_ONLY = _("This case has been submitted; it can no longer be changed.")


def case_url(case, side: str) -> str:
    name = "customs:desk_case" if side == selectors.DESK else "customs:case_detail"
    return reverse(name, args=[case.pk])


def case_section_url(pk: int, section: str) -> str:
    """The importer's case page, scrolled to one of its sections (parties, lines, …)."""
    return f"{reverse('customs:case_detail', args=[pk])}#{section}"


def editable_or_back(request, case):
    """None when the importer may edit the case, else a redirect to it with a message."""
    if case.state in EDITABLE_STATES:
        return None
    messages.error(request, READ_ONLY)
    return redirect("customs:case_detail", case.pk)
