"""Writes of the accounts app: users and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Role
from wufei.accounts.models import ApiToken, User, hash_token
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    region=None,
    department=None,
    party=None,
    phone: str = "",
) -> User:
    """Create an account. ``actor`` None means the system itself (the demo generator)."""
    if actor is not None and not (actor.is_superuser or actor.role == Role.ADMIN):
        raise NotPermitted()
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        region=region,
        department=department,
        party=party,
        phone=phone,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.full_clean(exclude=["password"])
            user.save()
            log_change(actor=actor, obj=user, action="create", data={"role": role})
    except ValidationError as exc:
        raise Invalid.from_django(exc) from exc
    return user


def _may_manage_tokens_of(actor: User | None, user: User) -> bool:
    """The system (``None``: commands), an administrator, or the user themself."""
    return actor is None or actor.is_superuser or actor.role == Role.ADMIN or actor.pk == user.pk


def api_token_create(
    *, actor: User | None, user: User, name: str, device=None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token; returns it with the clear key, which is never stored or shown again."""
    if not _may_manage_tokens_of(actor, user):
        raise NotPermitted()
    if device is not None and device.party_id != user.party_id:
        raise Invalid([FieldError("device", "device_not_owned", _("设备不属于该用户所在单位。"))])
    prefix = secrets.token_hex(4)
    key = f"wf_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            device=device,
            name=name,
            prefix=prefix,
            key_hash=hash_token(key),
            expires_at=expires_at,
        )
        log_change(actor=actor, obj=token, action="create", data={"name": name})
    return token, key


def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first time."""
    if not _may_manage_tokens_of(actor, token.user):
        raise NotPermitted()
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            log_change(actor=actor, obj=token, action="deactivate", data={"name": token.name})
    return token
