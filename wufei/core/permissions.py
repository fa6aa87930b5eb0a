"""DRF permission and paging classes (kept apart from viewsets: DRF imports them at start-up)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, permissions

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


_METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
}


class ScopedActionPermission(permissions.BasePermission):
    """Coarse gate: may this actor do this action to *some* rows of the model at all?

    The fine decision (which rows) is ``restrict`` in the queryset and the service. A
    method the view does not offer passes the gate, so everyone gets the same 405.
    """

    message = _("您无权执行此操作。")
    code = "not_permitted"

    def has_permission(self, request, view) -> bool:
        if not hasattr(view, request.method.lower()):
            return True  # dispatch answers 405 Method Not Allowed
        action = _METHOD_ACTIONS.get(request.method)
        if action is None:
            return False
        model = getattr(view, "scoped_model", None)
        if model is None:
            allowed = request.user.is_authenticated
        else:
            allowed = may(request.user, action, model)
        if not allowed and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(_("请先登录或提供有效的 API 令牌。"))
        return allowed
