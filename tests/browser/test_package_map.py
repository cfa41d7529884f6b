"""The package page frames a Folium map: Leaflet runs from the app's own assets under the CSP."""
import json
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.extensions import db

pytestmark = pytest.mark.browser

SQUARE = {"type": "Polygon", "coordinates": [[[106.80, -6.20], [106.81, -6.20], [106.81, -6.19],
                                               [106.80, -6.19], [106.80, -6.20]]]}


@pytest.fixture
def tile_host(app):
    """The configured tile server's host, the one place a page may try to reach (and is blocked)."""
    return urlsplit(app.config["TILE_URL"]).hostname


def open_package_map(page, package_id, tile_host):
    """Open the package page, bring its lazy map frame into view; return the frame once tiles are asked for."""
    with page.expect_request(lambda request: urlsplit(request.url).hostname == tile_host):
        page.goto(f"/packages/{package_id}")
        page.locator("iframe.map-frame").scroll_into_view_if_needed()
    frame = page.locator("iframe.map-frame").element_handle().content_frame()
    assert re.search(rf"/packages/{package_id}/map$", frame.url)
    return frame


def assert_clean(page_log, tile_host):
    """No console error, no CSP violation, and nothing left 127.0.0.1 but (blocked) tile requests."""
    assert page_log.console_errors == []
    assert page_log.csp_violations == []
    assert page_log.blocked, "the map asked for no tiles"
    assert page_log.hosts_left_to() == {tile_host}


@pytest.mark.parametrize("boundary", [False, True], ids=["centre", "boundary"])
def test_package_page_map_runs_leaflet(page, page_log, make, tile_host, boundary):
    package = make.package()
    if boundary:
        package.rw.boundary_geojson = json.dumps(SQUARE)
    db.session.commit()

    frame = open_package_map(page, package.id, tile_host)

    expect(frame.locator(".leaflet-container")).to_be_visible()
    # The RW is drawn as one SVG path: its polygon when known, else a circle at its centre.
    expect(frame.locator(".leaflet-overlay-pane svg path")).to_have_count(1)
    assert frame.evaluate("typeof window.L === 'object' && typeof window.L.map === 'function'")
    assert frame.evaluate("document.querySelector('script[src*=\"vendor/leaflet/leaflet.js\"]') !== null")
    expect(frame.locator(".leaflet-tile-pane img").first).to_be_attached()
    assert_clean(page_log, tile_host)
