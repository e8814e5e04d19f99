"""Small helpers every area's views share."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def errors_to_messages(request, error: ValidationError) -> None:
    """Show a service's refusal as messages (for one-button forms without fields)."""
    for message in error.messages:
        messages.error(request, message)


def htmx_partial(request, template: str, name: str) -> str:
    """The template, or one of its partials when htmx asks for a region (not when it
    restores a page from its history cache, which needs the whole page)."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{name}"
    return template
