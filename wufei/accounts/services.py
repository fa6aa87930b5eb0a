"""Writes of the accounts app: users and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from wufei.accounts.choices import Role
from wufei.accounts.models import ApiToken, User, hash_token
from wufei.core.errors import Invalid, NotPermitted
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


def api_token_create(
    *, actor: User, user: User, name: str, device=None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token; returns it with the clear key, which is never stored or shown again."""
    if actor.pk != user.pk and not actor.is_superuser:
        raise NotPermitted()
    if device is not None and device.party_id != user.party_id and not actor.is_superuser:
        raise NotPermitted()
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
