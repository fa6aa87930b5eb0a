"""The trace pages: the search box with the full trace (officials and the parties on the
path), and the public page a QR label points to (anyone, nothing confidential)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from wufei.core.errors import NotFound
from wufei.trace import selectors
from wufei.trace.codes import normalise

MODES = (selectors.FORWARD, selectors.BACKWARD)


def map_lines(trace: selectors.Trace) -> list[dict]:
    """The legs that have both ends located, as lines for the map."""
    return [
        {
            "number": leg.number,
            "label": leg.label,
            "from": [leg.from_lon, leg.from_lat],
            "to": [leg.to_lon, leg.to_lat],
            "from_name": f"{leg.from_party}（{leg.from_region}）",
            "to_name": f"{leg.to_party}（{leg.to_region}）",
            "state": leg.state_label,
        }
        for leg in trace.legs
        if None not in (leg.from_lon, leg.from_lat, leg.to_lon, leg.to_lat)
    ]


@require_GET
def search(request):
    """``/trace/?code=…&mode=forward|backward``: type or scan a code (or a manifest number)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    text = request.GET.get("code", "").strip()
    mode = request.GET.get("mode", selectors.FORWARD)
    mode = mode if mode in MODES else selectors.FORWARD
    context = {"code": text, "mode": mode, "trace": None, "error": None}
    if text:
        code = normalise(text)
        try:
            if mode == selectors.FORWARD:
                trace = selectors.trace_forward(actor=request.user, code=code)
            else:
                # a manifest number is taken as typed; a code (or a label URL) normalised
                trace = selectors.trace_backward(
                    actor=request.user, code=code if "/" in text else text
                )
        except NotFound as exc:
            context["error"] = exc.message
        else:
            context.update(
                code=", ".join(trace.start),
                trace=trace,
                tree=trace.tree(),
                finals={n.code for n in trace.destinations} | {n.code for n in trace.sources},
                lines=map_lines(trace),
                boundaries_url=reverse("web:map_boundaries"),
            )
    status = 404 if context["error"] else 200
    return render(request, "trace/search.html", context, status=status)


@require_GET
def public(request, code: str):
    """``/t/<code>``: what anyone may know about a label, on a phone."""
    try:
        view = selectors.trace_public(code)
    except NotFound as exc:
        return render(
            request, "trace/public.html", {"error": exc.message, "code": code}, status=404
        )
    return render(request, "trace/public.html", {"view": view, "code": view.item.code})
