"""The manifest pages: list (with the Excel export), detail with the actions, the new form.

Thin views: rows come from ``selectors`` (scoped to the actor), every write is one service
call through a form's ``perform()``. Which actions a page offers is worked out from the
same tables the services check (``STEP_SIGNER``, ``STEP_FROM``), but the service decides:
a refusal re-renders the page with its Chinese message and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import role_of
from wufei.core.errors import Invalid, NotFound, WufeiError
from wufei.core.forms import add_errors
from wufei.core.pages import PAGE_SIZE, require
from wufei.manifests import corrections, selectors, services
from wufei.manifests import forms as f
from wufei.manifests.choices import RevisionStatus, Signer, State
from wufei.manifests.export import manifest_workbook, weight_gap
from wufei.manifests.flows import FLOWS
from wufei.manifests.models import Manifest, ManifestRevision

PENDING_LIMIT = 20
SIGNING_ROLE = (Role.ENTERPRISE,)
SHOWN_ROWS = 3  # container rows open on the new-manifest form; the others fold away
HASH_SHOWN = 12
STATE_TONES = {
    State.DRAFT: "muted",
    State.SUBMITTED: "info",
    State.PICKED_UP: "info",
    State.IN_TRANSIT: "warn",
    State.RECEIVED: "info",
    State.COMPLETED: "ok",
    State.REJECTED: "bad",
    State.CANCELLED: "muted",
}
REVISION_TONES = {
    RevisionStatus.PENDING: "warn",
    RevisionStatus.APPLIED: "ok",
    RevisionStatus.REJECTED: "bad",
}


@dataclass(frozen=True)
class Step:
    """One action of the detail page: its form, its wording, whether it names a revision."""

    key: str
    form: type[f.ActionForm]
    title: Any
    button: Any
    done: Any
    danger: bool = False
    revision: bool = False

    def url(self, m: Manifest, revision: ManifestRevision | None = None) -> str:
        args = [m.pk, revision.pk] if self.revision and revision else [m.pk]
        return reverse(f"manifests:manifest_{self.key}", args=args)


STEPS = {
    s.key: s
    for s in (
        Step(
            "submit",
            f.SubmitForm,
            gettext_lazy("提交联单"),
            gettext_lazy("提交"),
            gettext_lazy("联单已提交。"),
        ),
        Step(
            "cancel",
            f.CancelForm,
            gettext_lazy("撤销联单"),
            gettext_lazy("撤销"),
            gettext_lazy("联单已撤销。"),
            danger=True,
        ),
        Step(
            "pick_up",
            f.PickUpForm,
            gettext_lazy("起运签收"),
            gettext_lazy("确认起运"),
            gettext_lazy("已起运签收。"),
        ),
        Step(
            "depart",
            f.DepartForm,
            gettext_lazy("出发"),
            gettext_lazy("确认出发"),
            gettext_lazy("已出发，运输中。"),
        ),
        Step(
            "receive",
            f.ReceiveForm,
            gettext_lazy("接收过磅"),
            gettext_lazy("确认接收"),
            gettext_lazy("已签收接收。"),
        ),
        Step(
            "complete",
            f.CompleteForm,
            gettext_lazy("利用处置完成"),
            gettext_lazy("确认完成"),
            gettext_lazy("联单已完成。"),
        ),
        Step(
            "correct",
            f.CorrectionForm,
            gettext_lazy("提出更正"),
            gettext_lazy("提交更正"),
            gettext_lazy("更正已提出，待各方确认。"),
        ),
        Step(
            "approve",
            f.ApproveForm,
            gettext_lazy("同意更正"),
            gettext_lazy("同意"),
            gettext_lazy("已同意更正。"),
            revision=True,
        ),
        Step(
            "reject",
            f.RejectForm,
            gettext_lazy("不同意更正"),
            gettext_lazy("不同意"),
            gettext_lazy("已表示不同意，更正未通过。"),
            danger=True,
            revision=True,
        ),
    )
}


def available_steps(actor, m: Manifest, pending: ManifestRevision | None) -> list[str]:
    """The actions the actor can take on ``m`` now (party and state), as the services judge."""
    role, party = role_of(actor), getattr(actor, "party_id", None)
    keys = []
    for kind, signer in services.STEP_SIGNER.items():
        if kind not in STEPS:
            continue
        roles = (
            (Role.ENTERPRISE, Role.DRIVER) if kind in services.DRIVER_STEPS else (Role.ENTERPRISE,)
        )
        if (
            role in roles
            and party == getattr(m, f"{signer}_id")
            and m.state in services.STEP_FROM[kind]
        ):
            keys.append(str(kind))
    if role == Role.ENTERPRISE and party in corrections.named_parties(m):
        if pending is not None:
            if str(party) not in pending.approvals:
                keys += ["approve", "reject"]
        elif m.state not in (State.DRAFT, State.CANCELLED):
            keys.append("correct")
    return keys


def _query(request, **changes) -> str:
    """The current query string with ``changes`` (``None`` removes a key)."""
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def _visible(request, pk: int) -> Manifest:
    try:
        return selectors.manifest_get(actor=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


# --- list and export ------------------------------------------------------------------------


def _filtered(request) -> f.ManifestFilters:
    """The actor's rows under the page's filters (the API's FilterSet)."""
    rows = selectors.manifest_list(actor=request.user)
    return f.ManifestFilters(request.GET, actor=request.user, queryset=rows)


def _state_counts(request, rows, chosen: list[str]) -> list[dict]:
    counts = dict(rows.order_by().values_list("state").annotate(n=Count("pk")))
    total = sum(counts.values())
    out = [
        {
            "label": _("全部"),
            "count": total,
            "url": _query(request, state=None, page=None),
            "tone": "info",
            "active": not chosen,
        }
    ]
    for value, label in State.choices:
        out.append(
            {
                "label": label,
                "count": counts.get(value, 0),
                "url": _query(request, state=value, page=None),
                "tone": STATE_TONES[value],
                "active": chosen == [value],
            }
        )
    return out


def _tone(rows):
    for m in rows:
        m.tone = STATE_TONES.get(m.state, "muted")
    return rows


class ManifestList(View):
    def get(self, request):
        refusal = require(request, Action.VIEW, Manifest)
        if refusal is not None:
            return refusal
        actor = request.user
        filters = _filtered(request)
        paginator = Paginator(filters.rows, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        pending = None
        if getattr(actor, "party_id", None) is not None:
            waiting = selectors.pending_for(actor=actor)
            pending = {"rows": _tone(list(waiting[:PENDING_LIMIT])), "total": waiting.count()}
        return render(
            request,
            "manifests/manifest_list.html",
            {
                "form": filters.form,
                "active_filters": filters.active(),
                "states": _state_counts(request, filters.rows_any_state(), filters.state),
                "page_obj": page,
                "rows": _tone(list(page.object_list)),
                "paginator": paginator,
                "pending": pending,
                "flows": list(FLOWS.values()) if role_of(actor) == Role.ENTERPRISE else [],
                "export_url": reverse("manifests:manifest_export") + _query(request, page=None),
                "previous_url": _query(request, page=page.previous_page_number())
                if page.has_previous()
                else None,
                "next_url": _query(request, page=page.next_page_number())
                if page.has_next()
                else None,
            },
        )


class ManifestExport(View):
    def get(self, request):
        refusal = require(request, Action.VIEW, Manifest)
        if refusal is not None:
            return refusal
        filters = _filtered(request)
        return manifest_workbook(filters.rows, filters.active())


# --- detail and the actions ------------------------------------------------------------------


def _event_rows(m: Manifest) -> list[dict]:
    return [
        {
            "kind": e.get_kind_display(),
            "actor": str(e.actor) if e.actor else _("系统"),
            "party": e.party.name if e.party else "",
            "at": timezone.localtime(e.at),
            "hash": e.hash[:HASH_SHOWN],
            "full_hash": e.hash,
        }
        for e in selectors.manifest_events(m)
    ]


def _revision_rows(m: Manifest) -> list[dict]:
    parties = {
        m.generator_id: (Signer.GENERATOR.label, m.generator.name),
        m.transporter_id: (Signer.TRANSPORTER.label, m.transporter.name),
        m.receiver_id: (Signer.RECEIVER.label, m.receiver.name),
    }
    out = []
    for r in selectors.manifest_revisions(m):
        decisions = []
        for pk in corrections.named_parties(m):
            role, name = parties[pk]
            approval = r.approvals.get(str(pk))
            if approval is None:
                verdict, tone = _("待确认"), "muted"
            elif approval.get("rejected"):
                verdict, tone = _("不同意：%(reason)s") % {"reason": approval["rejected"]}, "bad"
            else:
                verdict, tone = _("已同意"), "ok"
            decisions.append({"role": role, "party": name, "verdict": verdict, "tone": tone})
        out.append(
            {
                "obj": r,
                "tone": REVISION_TONES.get(r.status, "muted"),
                "changes": [
                    (str(Manifest._meta.get_field(k).verbose_name), v) for k, v in r.changes.items()
                ],
                "decisions": decisions,
            }
        )
    return out


def detail_context(request, m: Manifest, bound: f.ActionForm | None = None, key: str = "") -> dict:
    actor = request.user
    revisions = _revision_rows(m)
    pending = next((r["obj"] for r in revisions if r["obj"].status == RevisionStatus.PENDING), None)
    keys = available_steps(actor, m, pending)
    if bound is not None and key not in keys:  # refused because things changed: show why
        keys.append(key)
    actions = []
    for k in keys:
        step = STEPS[k]
        form = bound if k == key else step.form(actor=actor, manifest=m, revision=pending)
        actions.append({"step": step, "form": form, "url": step.url(m, form.revision)})
    return {
        "m": m,
        "tone": STATE_TONES.get(m.state, "muted"),
        "flow": m.flow_def,
        "items": selectors.manifest_items(m),
        "events": _event_rows(m),
        "revisions": revisions,
        "actions": actions,
        "signing_code": selectors.signing_code_for(actor=actor, m=m),
        "weight_gap": weight_gap(m),
    }


class ManifestDetail(View):
    def get(self, request, pk: int):
        refusal = require(request, Action.VIEW, Manifest)
        if refusal is not None:
            return refusal
        m = _visible(request, pk)
        return render(request, "manifests/manifest_detail.html", detail_context(request, m))


class ManifestStep(View):
    """POST one action (``step``); success redirects to the detail, a refusal re-renders it."""

    http_method_names = ["post"]
    step: Step = None  # set by as_view(step=...)

    def post(self, request, pk: int, revision: int | None = None):
        refusal = require(request, Action.VIEW, Manifest)
        if refusal is not None:
            return refusal
        m = _visible(request, pk)
        rev = None
        if self.step.revision:
            rev = m.revisions.filter(pk=revision).first()
            if rev is None:
                raise Http404(_("该更正不存在。"))
        form = self.step.form(request.POST, actor=request.user, manifest=m, revision=rev)
        if form.is_valid():
            try:
                form.perform()
            except NotFound as exc:
                raise Http404(str(exc.message)) from exc
            except WufeiError as exc:
                form.refuse(exc.errors)
            else:
                messages.success(request, str(self.step.done))
                return redirect("manifests:manifest_detail", pk=m.pk)
        context = detail_context(request, m, bound=form, key=self.step.key)
        return render(request, "manifests/manifest_detail.html", context)


# --- the generator's new manifest ---------------------------------------------------------


class ManifestCreate(View):
    """``?flow=<key>``: the generator's form; without a flow: choose one."""

    def dispatch(self, request, *args, **kwargs):
        refusal = require(request, Action.VIEW, Manifest)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        flow = FLOWS.get(request.GET.get("flow", ""))
        if flow is None:
            return render(request, "manifests/flow_choice.html", {"flows": FLOWS.values()})
        form = f.ManifestForm(actor=request.user, flow=flow)
        return self._render(request, form, f.ContainerFormSet(prefix="containers"))

    def post(self, request):
        flow = FLOWS.get(request.POST.get("flow") or request.GET.get("flow", ""))
        if flow is None:
            raise Http404(_("联单类型不存在。"))
        form = f.ManifestForm(request.POST, actor=request.user, flow=flow)
        rows = f.ContainerFormSet(request.POST, prefix="containers")
        if form.is_valid() and rows.is_valid():
            filled = [row for row in rows.forms if row.filled]
            try:
                m, created = services.manifest_create(
                    actor=request.user,
                    data=form.manifest_input(filled),
                    submit=request.POST.get("action") == "submit",
                )
            except Invalid as exc:
                f.put_container_errors(form, filled, exc.errors)
            except WufeiError as exc:
                add_errors(form, exc.errors)
            else:
                if created:
                    messages.success(request, _("联单 %(number)s 已保存。") % {"number": m.number})
                else:
                    messages.info(
                        request,
                        _("联单 %(number)s 已保存过，未重复创建。") % {"number": m.number},
                    )
                return redirect("manifests:manifest_detail", pk=m.pk)
        return self._render(request, form, rows)

    def _render(self, request, form, rows):
        hidden = rows.forms[SHOWN_ROWS:]
        return render(
            request,
            "manifests/manifest_form.html",
            {
                "form": form,
                "rows": rows,
                "flow": form.flow_def,
                "shown_rows": SHOWN_ROWS,
                "more_open": any(r.is_bound and (r.has_changed() or r.errors) for r in hidden),
            },
        )
