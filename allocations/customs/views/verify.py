"""The public verification of confirmations: a form asking for the code, and the page of
one code (the QR code on the confirmation opens it). No sign-in.

Look-ups are counted per client address (the address allauth sees, so the same proxy
settings apply) in the cache: more than CUSTOMS_VERIFY_RATE_LIMIT = (lookups, seconds),
by default 30 in 10 minutes, answer HTTP 429 with a page saying when to try again. The
pages ask search engines not to index them (X-Robots-Tag, and a robots meta tag where the
base template has a head block) and are never cached.
"""

import hashlib

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allocations.customs import verification

DEFAULT_RATE_LIMIT = (30, 600)
FORM_TEMPLATE = "customs/verify/form.html"
RESULT_TEMPLATE = "customs/verify/result.html"
LIMITED_TEMPLATE = "customs/verify/too_many.html"


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=verification.MAX_INPUT_LENGTH,
        help_text=_("As printed on the confirmation, e.g. 7KQ2-MZXA-4TRW-3BNE."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code = verification.normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("This is not a verification code: it has 16 letters and digits.")
            )
        return code


def _rate_limit() -> tuple[int, int]:
    limit, seconds = getattr(settings, "CUSTOMS_VERIFY_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    return int(limit), int(seconds)


def _client_address(request) -> str:
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return request.META.get("REMOTE_ADDR") or "unknown"


def _count_lookup(request) -> bool:
    """Count one look-up by this client; True while it is within the limit."""
    limit, seconds = _rate_limit()
    address = hashlib.sha256(_client_address(request).encode()).hexdigest()[:32]
    key = f"customs:verify:{address}"
    if cache.add(key, 1, timeout=seconds):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count <= limit


def _page(request, template: str, context: dict, *, status: int = 200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _too_many(request):
    _limit, seconds = _rate_limit()
    response = _page(request, LIMITED_TEMPLATE, {"minutes": max(1, seconds // 60)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@never_cache
@require_GET
def verify_form(request):
    """GET: the form; GET ?code=…: counted, then on to the code's page (or the form with
    what is wrong with the code)."""
    if "code" not in request.GET:
        return _page(request, FORM_TEMPLATE, {"form": VerifyForm()})
    if not _count_lookup(request):
        return _too_many(request)
    form = VerifyForm(request.GET)
    if form.is_valid():
        return redirect("customs:verify_code", code=form.cleaned_data["code"])
    return _page(request, FORM_TEMPLATE, {"form": form})


@never_cache
@require_GET
def verify_code(request, code: str):
    """The status of one confirmation and what it states; 404 when there is none."""
    if not _count_lookup(request):
        return _too_many(request)
    result = verification.verify(code=code, today=timezone.localdate())
    context = {"result": result, "form": VerifyForm(initial={"code": result.code})}
    return _page(request, RESULT_TEMPLATE, context, status=200 if result.found else 404)
