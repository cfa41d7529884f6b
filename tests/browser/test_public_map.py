"""The public map (/map) on the demo data: Leaflet draws every package the page counts, as clusters and
dots, loaded from the app's own GeoJSON, and nothing but (blocked) tiles leaves 127.0.0.1."""
import re

import pytest
from playwright.sync_api import expect

from seeds.demo import seed_demo
from tests.browser.leaflet import assert_only_tiles_left, wait_for_drawing, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Packages drawn on the frame's maps: the children of each cluster plus the dots standing alone.
DRAWN_PACKAGES = """() => {
  let drawn = 0;
  for (const key of Object.keys(window)) {
    let value;
    try { value = window[key]; } catch (error) { continue; }
    if (!(value instanceof L.Map)) continue;
    value.eachLayer((layer) => {
      if (L.MarkerCluster && layer instanceof L.MarkerCluster) drawn += layer.getChildCount();
      else if (layer instanceof L.CircleMarker || layer instanceof L.Marker) drawn += 1;
    });
  }
  return drawn;
}"""


def test_public_map_draws_the_demo_packages(app, page, page_log, tile_host):
    seed_demo()  # commits: the live server sees it

    page.goto("/map")
    frame_element = page.locator("iframe.map-frame")
    expect(frame_element).to_be_visible()
    # The frame's title says how many packages the map shows ("Map of 63 packages", in either language).
    counted = int(re.sub(r"\D", "", re.search(r"\d[\d.,]*", frame_element.get_attribute("title")).group()))
    assert counted > 0
    frame = frame_element.element_handle().content_frame()

    counts = wait_for_drawing(frame)
    assert counts["maps"] == 1 and counts["clusters"] + counts["paths"] + counts["markers"] > 0, counts
    # The layers fill from the GeoJSON endpoint: wait until every counted package is on the map.
    wait_until(frame, f"() => ({DRAWN_PACKAGES})() === {counted}")
    expect(frame.locator(".leaflet-marker-pane .marker-cluster, .leaflet-overlay-pane canvas,"
                         " .leaflet-overlay-pane svg path").first).to_be_visible()
    assert any("/map/packages.geojson" in request for request in page_log.requests)
    assert_only_tiles_left(page_log, tile_host)
