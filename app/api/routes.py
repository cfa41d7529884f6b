"""Read endpoints of /api/v1 (open data). Errors are `{"error": {...}}` with the right status."""
from flask import jsonify, request, url_for

from app.api import bp, openapi, serializers
from app.api.params import ID
from app.errors import json_error
from app.extensions import csrf
from app.services import catalogue, open_data, package_page

csrf.exempt(bp)  # token-authenticated JSON, not browser forms


@bp.get("/packages")
def packages():
    """Public packages with the catalogue's filters, paginated."""
    filters, errors = open_data.parse_package_filters(request.args)
    if errors:
        return json_error(422, "invalid_parameters", "Some query parameters are not valid.",
                          {key: str(message) for key, message in errors.items()})
    result = catalogue.search(filters, facets=False)
    links = {"self": url_for("api.packages", **filters.args(), _external=False)}
    if filters.page < result.pages:
        links["next"] = url_for("api.packages", **filters.args(page=filters.page + 1))
    if filters.page > 1:
        links["prev"] = url_for("api.packages", **filters.args(page=filters.page - 1))
    return jsonify({
        "data": [serializers.card(c, url_for) for c in result.cards],
        "meta": {"page": filters.page, "per_page": filters.per_page, "total": result.total, "pages": result.pages},
        "links": links,
    })


@bp.get(f"/packages/<{ID}:package_id>")
def package(package_id):
    """One public package."""
    detail = package_page.package_detail(package_id)
    if detail is None:
        return json_error(404, "not_found", "No public package with this id.")
    return jsonify(serializers.package(detail))


@bp.get(f"/rws/<{ID}:rw_id>")
def rw(rw_id):
    """One RW with its assessment history and public packages."""
    detail = package_page.rw_detail(rw_id)
    if detail is None:
        return json_error(404, "not_found", "No RW with this id.")
    body = serializers.rw(detail.rw)
    body["assessments"] = [serializers.assessment(record, score) for record, score in detail.history]
    body["packages"] = [{"id": p.id, "title": p.title, "status": p.status, "estimate": p.estimate,
                         "committed": p.committed, "url": url_for("api.package", package_id=p.id)}
                        for p in detail.packages]
    return jsonify(body)


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document(request.host_url.rstrip("/") + "/api/v1", catalogue.tier_codes()))
