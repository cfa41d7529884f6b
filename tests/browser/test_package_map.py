"""The package page frames a Folium map: Leaflet runs from the app's own assets under the CSP."""
import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.services import boundaries
from tests.browser.leaflet import assert_only_tiles_left, is_tile, wait_for_drawing

pytestmark = pytest.mark.browser

SQUARE = {"type": "Polygon", "coordinates": [[[106.800, -6.200], [106.802, -6.200], [106.802, -6.198],
                                               [106.800, -6.198], [106.800, -6.200]]]}  # ~220 m a side, an RW


def open_package_map(page, package_id, tile_host):
    """Open the package page, bring its lazy map frame into view; return the frame once tiles are asked for."""
    with page.expect_request(lambda request: is_tile(request.url, tile_host)):
        page.goto(f"/packages/{package_id}")
        page.locator("iframe.map-frame").scroll_into_view_if_needed()
    frame = page.locator("iframe.map-frame").element_handle().content_frame()
    assert re.search(rf"/packages/{package_id}/map$", frame.url)
    return frame


@pytest.mark.parametrize("boundary", [False, True], ids=["centre", "boundary"])
def test_package_page_map_runs_leaflet(page, page_log, make, tile_host, boundary):
    package = make.package()
    if boundary:  # as `flask import-boundaries` stores it
        rw = package.rw
        feature = {"type": "Feature", "properties": {"kode": rw.kelurahan.code, "rw": rw.number}, "geometry": SQUARE}
        assert boundaries.import_boundaries([feature]).rws == 1
    db.session.commit()

    frame = open_package_map(page, package.id, tile_host)

    expect(frame.locator(".leaflet-container")).to_be_visible()
    # The RW is a vector: its polygon when known, else a circle at its centre.
    counts = wait_for_drawing(frame)
    assert counts["maps"] == 1 and counts["paths"] >= 1, counts
    expect(frame.locator(".leaflet-overlay-pane").locator("svg path, canvas").first).to_be_visible()
    assert frame.locator('script[src*="vendor/leaflet/leaflet.js"]').count() == 1  # served by the app
    expect(frame.locator(".leaflet-tile-pane img").first).to_be_attached()
    assert_only_tiles_left(page_log, tile_host)
