"""A person's own settings that the portal keeps beside allauth's: the cluster username."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from allocations.accounts.cluster_usernames import set_cluster_username
from allocations.accounts.forms import ClusterUsernameForm


@login_required
def cluster_username(request):
    form = ClusterUsernameForm(
        request.POST or None, initial={"cluster_username": request.user.cluster_username}
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_cluster_username(
                actor=request.user,
                user_id=request.user.pk,
                username=form.cleaned_data["cluster_username"],
            )
        except ValidationError as error:
            form.add_error(None, error)  # a dict error lands on its field
        else:
            messages.success(request, _("Your cluster username is saved."))
            return redirect("accounts:cluster_username")
    return render(request, "accounts/cluster_username.html", {"form": form})
