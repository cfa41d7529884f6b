"""Monitoring routes: read the filters, check permission, build the dashboard, render."""
from flask import abort, current_app, render_template, request

from app.monitoring import bp
from app.permissions import require
from app.services import dashboard, monitoring


def _page(public):
    filters, errors = monitoring.parse_filters(request.args)
    config = current_app.config
    board = dashboard.build(filters, config["PROGRAMME_TARGET_PCT"], config["PROGRAMME_TARGET_YEAR"])
    if board is None:
        abort(404)
    kecamatans = monitoring.kecamatan_choices(filters.kota)
    return render_template("monitoring/dashboard.html", board=board, charts=dashboard.charts(board), errors=errors,
                           raw=request.args, kecamatans=kecamatans, public=public,
                           url_endpoints=current_app.view_functions), 400 if errors else 200


@bp.get("/monitoring")
def index():
    """Government's dashboard: coverage, money, progress, aggregators, charts, for a region and period."""
    require("monitoring.view")
    return _page(public=False)


@bp.get("/transparency")
def transparency():
    """The same figures for everyone, per region: no personal data is part of them."""
    return _page(public=True)
