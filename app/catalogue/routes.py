"""Public catalogue routes: read input, check visibility, call one service, render."""
from flask import abort, g, render_template, request, url_for

from app.catalogue import bp
from app.maps.web import assets
from app.permissions import can
from app.services import catalogue, map_views, maps, package_page, place_data, progress_views


@bp.get("/packages")
def packages():
    """The catalogue: filters, facets, sorting, pagination; bad parameters are named and ignored."""
    filters, errors = catalogue.parse_filters(request.args)
    if can("package.view_draft"):
        filters = catalogue.with_drafts(filters)
    result = catalogue.search(filters)
    return render_template("catalogue/packages.html", result=result, errors=errors), 400 if errors else 200


@bp.get("/packages/<int:package_id>")
def package(package_id):
    """One package: RW, assessment, RAB, funding, supporters, history, map."""
    detail = package_page.package_detail(package_id, include_drafts=can("package.view_draft"))
    if detail is None:
        abort(404)
    progress = progress_views.package_progress(detail.package, staff=can("package.manage", detail.package))
    return render_template("catalogue/package.html", detail=detail, package=detail.package, progress=progress)


@bp.get("/packages/<int:package_id>/map")
def package_map(package_id):
    """The package's RW on a small map (framed by the package page): boundary or point, verified photos,
    nearby packages."""
    place = place_data.package_place(package_id, include_drafts=can("package.view_draft"))
    if place is None:
        abort(404)
    return _map_response(place, exclude_package_ids=place.package_ids)


@bp.get("/rws/<int:rw_id>")
def rw(rw_id):
    """An RW: its assessment history and packages."""
    detail = package_page.rw_detail(rw_id)
    if detail is None:
        abort(404)
    return render_template("catalogue/rw.html", detail=detail, rw=detail.rw)


@bp.get("/rws/<int:rw_id>/map")
def rw_map(rw_id):
    """The RW on a small map, with its packages' verified photos and nearby packages."""
    place = place_data.rw_place(rw_id)
    if place is None:
        abort(404)
    return _map_response(place, exclude_rw_id=place.rw_id)


@bp.get("/regions/<code>")
def region(code):
    """A provinsi, kota, kecamatan or kelurahan with its RWs and totals."""
    summary = package_page.region_summary(code)
    if summary is None:
        abort(404)
    rws = package_page.region_rws(summary.region) if summary.region.level == "kelurahan" else []
    return render_template("catalogue/region.html", summary=summary, rws=rws)


def _map_response(place, **exclude):
    fmap = map_views.place_map(
        assets(), place,
        lambda photo_id: (url_for("progress.photo", photo_id=photo_id, variant="thumb"),
                          url_for("progress.photo", photo_id=photo_id, variant="full")),
        lambda package_id: url_for("catalogue.package", package_id=package_id), **exclude)
    return maps.render(fmap, g.csp_nonce)
