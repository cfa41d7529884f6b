"""Open-data reads of /api/v1: coverage per region, and packages and RWs as GeoJSON. Public, no personal data."""
from flask import Response, jsonify, request, stream_with_context, url_for

from app.api import bp
from app.errors import json_error
from app.maps.web import conditional
from app.services import export_formats, open_data, region_coverage

GEOJSON = "application/geo+json"
MAX_AGE = 60  # seconds before a client revalidates; the ETag makes that a cheap 304


def _invalid(errors):
    return json_error(422, "invalid_parameters", "Some query parameters are not valid.",
                      {name: str(message) for name, message in errors.items()})


def _public(response, max_age=MAX_AGE):
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


@bp.get("/coverage")
def coverage():
    """Coverage per kota, kecamatan or kelurahan: RWs reached, severe RWs left, money and progress."""
    query, errors = open_data.parse_coverage(request.args)
    if errors:
        return _invalid(errors)
    figures = region_coverage.regions(query.level, query.regions.kota_id, query.regions.kecamatan_id)
    totals = region_coverage.total(figures).as_dict()
    for key in ("code", "name", "level"):
        del totals[key]
    response = jsonify({"data": [region.as_dict() for region in figures], "totals": totals,
                        "meta": {"level": query.level, "filters": query.regions.args(), "regions": len(figures)}})
    # The body is one aggregate, so hashing it is cheap; an unchanged table is answered 304.
    response.add_etag()
    return _public(response).make_conditional(request)


@bp.get("/packages.geojson")
def packages_geojson():
    """Public packages matching the catalogue's filters as GeoJSON points (ETag; 304 when unchanged)."""
    filters, errors = open_data.parse_package_filters(request.args, paged=False)
    if errors:
        return _invalid(errors)
    layer = open_data.package_layer(filters)
    page_url = url_for("catalogue.package", package_id=0)[:-1] + "{id}"
    api_url = url_for("api.package", package_id=0)[:-1] + "{id}"
    return conditional(layer.version(), lambda: layer.geojson(page_url, api_url), GEOJSON, MAX_AGE)


@bp.get("/rws.geojson")
def rws_geojson():
    """Every RW in the chosen regions as GeoJSON (boundary polygons where known), streamed in batches."""
    filters, errors = open_data.parse_rw_filters(request.args)
    if errors:
        return _invalid(errors)
    return _public(Response(stream_with_context(export_formats.geojson_chunks(filters)), mimetype=GEOJSON))
