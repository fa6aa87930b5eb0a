"""Distances and times: the great-circle estimate's documented figures, and the OSRM table
client's request and parsing against a recorded answer served on loopback (no OSRM here)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest

from wufei.routing.travel import GreatCircle, OsrmTable, TravelServiceError, path_length_m

RECORDED = json.loads((Path(__file__).parent / "data" / "osrm_table.json").read_text())
POINTS = [(34.03, 113.826), (34.035, 113.84), (34.05, 113.85)]


def test_great_circle_is_haversine_times_the_detour_factor():
    distance, duration = GreatCircle().matrix([(34.0, 113.8), (35.0, 113.8)], depart_s=10 * 3600)
    assert distance.dtype == np.int64 and distance[0, 0] == 0
    assert distance[0, 1] == distance[1, 0] == pytest.approx(111_195 * 1.3, rel=1e-3)
    assert duration[0, 1] == pytest.approx(distance[0, 1] / (45 / 3.6), abs=1)  # arterial


def test_short_hops_are_slower_and_peaks_slow_everything():
    provider = GreatCircle()
    _, midday = provider.matrix([(34.0, 113.8), (34.005, 113.8)], depart_s=11 * 3600)
    _, peak = provider.matrix([(34.0, 113.8), (34.005, 113.8)], depart_s=8 * 3600)
    assert midday[0, 1] == pytest.approx(1.3 * 556 / (18 / 3.6), abs=2)  # estate roads
    assert peak[0, 1] == pytest.approx(midday[0, 1] / 0.7, abs=2)


def test_settings_override_the_figures(settings):
    settings.WUFEI_ROUTING_TRAVEL = {"detour": 1.0, "road_classes": [[1e12, 36]], "peaks": []}
    distance, duration = GreatCircle.from_settings().matrix(POINTS[:2], depart_s=8 * 3600)
    assert duration[0, 1] == pytest.approx(distance[0, 1] / 10, abs=1)


def test_path_length_adds_the_hops():
    assert path_length_m(POINTS) == pytest.approx(
        sum(GreatCircle(detour=1.0).matrix(POINTS, 0)[0][k, k + 1] for k in range(2)), abs=2
    )


def test_osrm_request_url_lists_lon_lat_pairs():
    url = OsrmTable(url="http://osrm.example/").request_url(POINTS[:2])
    assert url == (
        "http://osrm.example/table/v1/driving/113.826000,34.030000;113.840000,34.035000"
        "?annotations=distance,duration"
    )


def test_osrm_answer_is_parsed_and_unreachable_pairs_are_prohibitive():
    distance, duration = OsrmTable.parse(RECORDED, 3)
    assert distance[0, 1] == 1523 and duration[1, 2] == 352
    assert distance[0, 2] == duration[2, 0] == 10**9


@pytest.mark.parametrize(
    "payload",
    [{"code": "InvalidQuery", "message": "bad"}, {**RECORDED, "durations": [[0]]}],
)
def test_osrm_errors_are_reported(payload):
    with pytest.raises(TravelServiceError):
        OsrmTable.parse(payload, 3)


@pytest.fixture
def recorded_osrm():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = json.dumps(RECORDED).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_osrm_matrix_over_http(recorded_osrm):
    url, seen = recorded_osrm
    distance, _duration = OsrmTable(url=url).matrix(POINTS, depart_s=0)
    assert distance[1, 2] == 3022
    assert seen == ["/table/v1/driving/113.826000,34.030000;113.840000,34.035000;"
                    "113.850000,34.050000?annotations=distance,duration"]  # fmt: skip
