"""``Authorization: Token <key>`` (or ``Bearer <key>``) for enterprise systems and devices."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from wufei.accounts.models import ApiToken, hash_token

_LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("令牌格式错误：应为 “Token <密钥>”。"), code="token_malformed"
            )
        token = (
            ApiToken.objects.select_related(
                "user", "user__region", "user__department", "user__party", "device"
            )
            .filter(key_hash=hash_token(header[1]))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效。"), code="token_invalid")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌已吊销。"), code="token_revoked")
        if not token.is_usable:
            raise exceptions.AuthenticationFailed(_("令牌已过期。"), code="token_expired")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token header in the OpenAPI schema (drf-spectacular finds it by import)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("API 令牌：请求头 “Authorization: Token <密钥>”，由管理员签发。"),
        }
