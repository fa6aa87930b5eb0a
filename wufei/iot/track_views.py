"""The manifest's GPS track, as a fragment the manifest page includes with htmx."""

from __future__ import annotations

from django.shortcuts import render

from wufei.accounts.choices import Action
from wufei.core.pages import domain_errors, require
from wufei.iot.track import manifest_track
from wufei.manifests.models import Manifest


@domain_errors
def manifest_track_view(request, pk: int):
    refusal = require(request, Action.VIEW, Manifest)
    if refusal is not None:
        return refusal
    track = manifest_track(actor=request.user, pk=pk)
    return render(request, "iot/track.html", {"track": track, "chart": track.chart})
