"""Folium maps served offline: Leaflet comes from the app's own static files, never a CDN, and the
inline scripts and styles folium writes carry the response's CSP nonce."""
import json
import re

import folium

LOCAL_JS = [("leaflet", "vendor/leaflet/leaflet.js")]
LOCAL_CSS = [("leaflet_css", "vendor/leaflet/leaflet.css")]
_INLINE_TAG = re.compile(r"<(script|style)(?=[\s>])(?![^>]*\bsrc=)")


def new_map(lat, lon, zoom, asset_url, tile_url, attribution):
    """A folium Map using local assets (`asset_url(path)` gives a static URL) and the configured tiles."""
    fmap = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=True)
    fmap.default_js = [(name, asset_url(path)) for name, path in LOCAL_JS]
    fmap.default_css = [(name, asset_url(path)) for name, path in LOCAL_CSS]
    folium.TileLayer(tiles=tile_url, attr=attribution, max_zoom=19).add_to(fmap)
    return fmap


def rw_map(rw, label, asset_url, tile_url, attribution):
    """One RW: its boundary where known, else its (approximate) centre."""
    fmap = new_map(rw.lat, rw.lon, 16, asset_url, tile_url, attribution)
    if rw.boundary_geojson:
        folium.GeoJson(json.loads(rw.boundary_geojson), name=label, tooltip=label).add_to(fmap)
    else:
        folium.CircleMarker([rw.lat, rw.lon], radius=10, weight=2, fill=True, fill_opacity=0.4,
                            tooltip=label).add_to(fmap)
    return fmap


def render(fmap, nonce):
    """The map as a standalone HTML document whose inline <script>/<style> carry `nonce`."""
    html = fmap.get_root().render()
    return _INLINE_TAG.sub(lambda match: f'<{match.group(1)} nonce="{nonce}"', html)
