"""Monitoring routes: read the filters, check permission, build the dashboard, render."""
from flask import Response, abort, current_app, render_template, request

from app.monitoring import bp
from app.permissions import require
from app.services import dashboard, dashboard_csv, monitoring
from app.services.csv_export import dated_filename


def _board():
    filters, errors = monitoring.parse_filters(request.args)
    board = dashboard.current(filters)
    if board is None:
        abort(404)
    return filters, errors, board


def _page(public):
    filters, errors, board = _board()
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


@bp.get("/transparency/<any(regions, aggregators):table>.csv")
def table_csv(table):
    """A dashboard table (per region or per aggregator) as CSV, with the page's filters."""
    filters, errors, board = _board()
    if errors:
        body = "".join(f"{name}: {message}\n" for name, message in errors.items())
        return Response(body, status=400, mimetype="text/plain")
    name = f"{table}-{board.scope.region.code if board.scope.region else 'all'}"
    return Response(dashboard_csv.table_csv(board, table), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={dated_filename(name)}"})
