"""Small helpers shared by the reviews views."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def errors_to_messages(request, error: ValidationError) -> None:
    """Show a service's refusal as messages (for one-button forms without fields)."""
    for message in error.messages:
        messages.error(request, message)


def htmx_partial(request, template: str, name: str) -> str:
    """The template, or one of its partials when htmx asks for a region."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{name}"
    return template
