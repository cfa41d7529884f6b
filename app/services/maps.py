"""Folium maps served offline and under a strict CSP.

Every asset folium would fetch from a CDN (Leaflet, Leaflet.markercluster) is replaced by the app's own copy
under static/vendor, and our JavaScript lives in static/js/map.js: folium lays out the structure (map, layers,
layer control) and small MacroElements call map.js, which fills the layers from JSON endpoints and builds
popups, tooltips and legends from DOM text nodes. Data is never spliced into HTML strings, and folium's own
Popup/Tooltip/GeoJson(url) are avoided: they need jQuery or insert their text as HTML.

`render` adds the response's CSP nonce to every inline <script> and <style> folium writes.
"""
import json
import re
from html import escape

import folium
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from folium.template import Template

LEAFLET_JS = [("leaflet", "vendor/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "vendor/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", "vendor/leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", "vendor/leaflet.markercluster/MarkerCluster.css"),
               ("markerclusterdefaultcss", "vendor/leaflet.markercluster/MarkerCluster.Default.css")]
RUKUN_JS = [("rukun_map_js", "js/map.js")]
RUKUN_CSS = [("rukun_map_css", "css/map.css")]
_INLINE_TAG = re.compile(r"<(script|style)(?=[\s>])(?![^>]*\bsrc=)")


class Assets:
    """Where the map's files and tiles come from: `url(path)` gives a static URL."""

    def __init__(self, url, tile_url, attribution):
        self.url, self.tile_url, self.attribution = url, tile_url, attribution

    def links(self, pairs):
        """[(name, static path)] → [(name, URL)] for folium's default_js / default_css."""
        return [(name, self.url(path)) for name, path in pairs]


def new_map(lat, lon, zoom, assets, tile_name="OpenStreetMap"):
    """A folium Map using local Leaflet and our map.js/map.css, with the configured tiles."""
    fmap = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=True, prefer_canvas=True)
    fmap.default_js = assets.links(LEAFLET_JS)
    fmap.default_css = assets.links(LEAFLET_CSS)
    folium.TileLayer(tiles=assets.tile_url, attr=assets.attribution, max_zoom=19, name=tile_name,
                     control=False).add_to(fmap)
    Script(assets).add_to(fmap)
    return fmap


def cluster(name, assets, show=True, icon_function=None):
    """A MarkerCluster layer (empty: map.js fills it) loading Leaflet.markercluster from the app."""
    layer = MarkerCluster(name=escape(name), show=show, icon_create_function=icon_function,
                          options={"chunkedLoading": True, "showCoverageOnHover": False,
                                   "disableClusteringAtZoom": 17, "spiderfyOnMaxZoom": True})
    layer.default_js = assets.links(CLUSTER_JS)
    layer.default_css = assets.links(CLUSTER_CSS)
    return layer


def group(name, show=True):
    """A FeatureGroup overlay; the layer control shows its (escaped) name, as Leaflet inserts it as HTML."""
    return folium.FeatureGroup(name=escape(name), show=show)


def render(fmap, nonce):
    """The map as a standalone HTML document whose inline <script>/<style> carry `nonce`."""
    html = fmap.get_root().render()
    return _INLINE_TAG.sub(lambda match: f'<{match.group(1)} nonce="{nonce}"', html)


class Script(JSCSSMixin):
    """Links map.js and map.css (our own code and styles) into the map's page."""

    _template = Template("")

    def __init__(self, assets):
        super().__init__()
        self._name = "RukunScript"
        self.default_js = assets.links(RUKUN_JS)
        self.default_css = assets.links(RUKUN_CSS)


class Call(folium.MacroElement):
    """`RukunMap.<function>(map, {layers...}, options)` once the map and its layers exist.

    `layers` maps keys to folium layers (passed as JavaScript variables); `options` is plain JSON, escaped
    for a <script> by Jinja's tojson.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        RukunMap.{{ this.function }}({{ this._parent.get_name() }}, {
            {%- for key, layer in this.layers.items() %}{{ key|tojson }}: {{ layer.get_name() }},{% endfor -%}
        }, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, function, layers=None, **options):
        super().__init__()
        self._name = "RukunCall"
        self.function, self.layers, self.options = function, layers or {}, json_safe(options)


def legend(title, sections, position="bottomright", note=None):
    """A legend control: `sections` = [(heading or None, [(colour, label), ...])] and an optional note; map.js
    builds it with text nodes, so each colour always comes with its words."""
    return Call("legend", title=title, position=position, note=note, sections=[
        {"heading": heading, "entries": [{"colour": colour, "label": label} for colour, label in entries]}
        for heading, entries in sections])


def json_safe(value):
    """`value` with lazy (translated) strings made plain, so Jinja's tojson can write it."""
    return json.loads(json.dumps(value, default=str))
