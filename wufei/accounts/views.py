"""The account's own API tokens: list, issue (the key is shown once), revoke."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Role
from wufei.accounts.forms import ApiTokenForm
from wufei.accounts.models import ApiToken
from wufei.accounts.scoping import role_of
from wufei.accounts.services import api_token_create, api_token_revoke
from wufei.core.errors import Invalid
from wufei.core.forms import add_errors


def _may_hold_tokens(user) -> bool:
    return user.is_authenticated and role_of(user) != Role.PUBLIC


@login_required
def token_list(request):
    if not _may_hold_tokens(request.user):
        raise PermissionDenied
    form = ApiTokenForm(request.POST or None, actor=request.user)
    key = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data.get("days")
        try:
            _token, key = api_token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                device=form.cleaned_data.get("device"),
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            form = ApiTokenForm(actor=request.user)
    tokens = ApiToken.objects.filter(user=request.user).select_related("device")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, "new_key": key})


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(actor=request.user, token=token)
    return redirect("accounts:tokens")
