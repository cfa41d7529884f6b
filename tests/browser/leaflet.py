"""Asking a frame's Leaflet what it drew, whatever the renderer (SVG paths or one canvas)."""
from urllib.parse import urlsplit

# Counts the layers on every L.Map of the frame. Folium keeps each map in a global variable; asking
# Leaflet rather than the DOM keeps the tests true whether vectors are SVG paths or drawn on a canvas.
# Marker clusters are L.Marker subclasses, so `markers` counts a cluster once and a lone marker once.
LAYER_COUNTS = """() => {
  const counts = {leaflet: typeof window.L === "object" && typeof window.L.map === "function",
                  maps: 0, paths: 0, markers: 0, clusters: 0};
  if (!counts.leaflet) return counts;
  for (const key of Object.keys(window)) {
    let value;
    try { value = window[key]; } catch (error) { continue; }
    if (!(value instanceof L.Map)) continue;
    counts.maps += 1;
    value.eachLayer((layer) => {
      if (layer instanceof L.Path) counts.paths += 1;
      else if (L.MarkerCluster && layer instanceof L.MarkerCluster) counts.clusters += 1;
      else if (layer instanceof L.Marker) counts.markers += 1;
    });
  }
  return counts;
}"""


def layer_counts(frame):
    """{'leaflet': bool, 'maps', 'paths', 'markers', 'clusters'} for a frame, now."""
    return frame.evaluate(LAYER_COUNTS)


def wait_until(frame, condition, timeout=10_000):
    """Wait in the page until the JS function `condition` returns something truthy, and return that.

    Not `wait_for_function`: it polls by evaluating a string, which the app's CSP (no 'unsafe-eval')
    rightly refuses once the first check fails. Here the whole wait is one evaluated function whose
    checks run on the page's own timers, with a deadline (no sleeping in the test).
    """
    return frame.evaluate(f"""(timeout) => new Promise((resolve, reject) => {{
      const condition = {condition};
      const deadline = Date.now() + timeout;
      const check = () => {{
        let value = null;
        try {{ value = condition(); }} catch (error) {{ value = null; }}  // e.g. Leaflet not loaded yet
        if (value) resolve(value);
        else if (Date.now() > deadline) reject(new Error(`timed out after ${{timeout}} ms: ${{condition}}`));
        else setTimeout(check, 50);
      }};
      check();
    }})""", timeout)


def wait_for_drawing(frame, timeout=10_000):
    """Wait until a Leaflet map in the frame shows a path, marker or cluster; return the layer counts."""
    return wait_until(frame, f"""() => {{
      const counts = ({LAYER_COUNTS})();
      return counts.maps > 0 && counts.paths + counts.markers + counts.clusters > 0 ? counts : null;
    }}""", timeout)


def tile_host_of(tile_url):
    """The host of a tile URL template ({s} subdomains become a wildcard-free base host)."""
    return urlsplit(tile_url.replace("{s}.", "")).hostname


def is_tile(url, tile_host):
    """Whether a request goes to the tile server (or one of its {s} subdomains)."""
    host = urlsplit(url).hostname or ""
    return host == tile_host or host.endswith("." + tile_host)


def assert_only_tiles_left(page_log, tile_host):
    """No console error, no CSP violation, and the only requests off 127.0.0.1 were (blocked) tiles."""
    assert page_log.console_errors == []
    assert page_log.csp_violations == []
    assert page_log.blocked, "the map asked for no tiles"
    elsewhere = [url for url in page_log.blocked if not is_tile(url, tile_host)]
    assert elsewhere == [], "requests left 127.0.0.1 for something other than tiles"
