"""Map routes: read input, check permission, call one service, render.

Pages sit in the site layout and frame the folium map; the frames hold no bulk data, which the
GeoJSON endpoints serve with an ETag (304 when unchanged), caching headers and gzip.
"""
from flask import abort, g, jsonify, render_template, request, url_for
from flask_babel import get_locale

from app.maps import bp
from app.maps.web import assets, conditional
from app.permissions import require
from app.services import catalogue, coverage, map_data, map_views, maps

GEOJSON = "application/geo+json"
PUBLIC_MAX_AGE = 60  # seconds before a browser or proxy revalidates the public layer
COVERAGE_MAX_AGE = 300


def _filters():
    """Catalogue filters from the query string (public packages only: this map is public)."""
    return catalogue.parse_filters(request.args)


@bp.get("/map")
def index():
    """The public map page: filters, the legend in words with counts, and the map frame."""
    filters, errors = _filters()
    page = map_data.page(filters)
    return render_template("maps/index.html", page=page, f=filters, errors=errors,
                           raw=request.args), 400 if errors else 200


@bp.get("/map/frame")
def frame():
    """The folium map of /map: clusters per tier, a severity layer, the legend; data comes from the GeoJSON."""
    filters, _errors = _filters()
    popup_url = url_for("maps.package_popup", package_id=0).replace("/0.json", "/{id}.json")
    fmap = map_views.public_map(assets(), map_data.tiers(), url_for("maps.packages_geojson", **filters.active()),
                                popup_url)
    return maps.render(fmap, g.csp_nonce)


@bp.get("/map/packages.geojson")
def packages_geojson():
    """Visible packages matching the catalogue filters, as lean GeoJSON (see map_data.Selection.geojson)."""
    filters, errors = _filters()
    if errors:
        return jsonify({"error": {"code": "invalid_filters", "fields": {k: str(v) for k, v in errors.items()}}}), 400
    chosen = map_data.selection(filters)
    return conditional(chosen.version(), chosen.geojson, GEOJSON, PUBLIC_MAX_AGE)


@bp.get("/map/packages/<int:package_id>.json")
def package_popup(package_id):
    """One public package's popup: title, place, tier, status, estimate, funding."""
    card = map_data.popup(package_id)
    if card is None:
        abort(404)
    return jsonify(map_views.package_popup(card, url_for("catalogue.package", package_id=package_id)))


def _coverage_choice():
    level = request.args.get("level") or "kecamatan"
    measure = request.args.get("measure") or "rws"
    if level not in coverage.LEVELS or measure not in coverage.MEASURES:
        abort(400)
    return level, measure


@bp.get("/map/coverage")
def coverage_page():
    """Government's coverage choropleth per kecamatan or kota, with the bins and the lowest regions in words."""
    require("monitoring.view")
    level, measure = _coverage_choice()
    report = coverage.report(level, measure)
    return render_template("maps/coverage.html", report=report, level=level, measure=measure,
                           no_programme_colour=coverage.NO_PROGRAMME_COLOUR)


@bp.get("/map/coverage/frame")
def coverage_frame():
    """The choropleth's folium map; regions come from the coverage GeoJSON."""
    require("monitoring.view")
    level, measure = _coverage_choice()
    fmap = map_views.coverage_map(assets(), url_for("maps.coverage_geojson", level=level, measure=measure),
                                  measure)
    return maps.render(fmap, g.csp_nonce)


@bp.get("/map/coverage.geojson")
def coverage_geojson():
    """Coverage per region as GeoJSON (polygons where a boundary is known, else circles)."""
    require("monitoring.view")
    level, measure = _coverage_choice()
    figures = coverage.regions(level)
    return conditional(
        coverage.version(level, measure, figures, get_locale()),
        lambda: coverage.geojson(level, measure, figures, lambda code: url_for("catalogue.region", code=code)),
        GEOJSON, COVERAGE_MAX_AGE, private=True)
