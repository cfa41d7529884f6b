"""The government gap view: severe and moderate RWs without a package or with stalled funding, and its CSV."""
from flask import Response, render_template, request, stream_with_context

from app.db_types import utcnow
from app.manage import bp
from app.permissions import require
from app.services import csv_export, gaps


@bp.get("/gaps")
def gap_list():
    """The gaps ranked by need; bad filters are named, kept in the form, ignored, and answered with 400."""
    require("monitoring.view")
    filters, errors = gaps.parse_filters(request.args)
    result = gaps.page(filters)
    page = render_template("manage/gaps.html", result=result, errors=errors, raw=request.args,
                           GAP_KINDS=gaps.GAP_KINDS, limits=(gaps.MIN_DAYS, gaps.MAX_DAYS))
    return page, 400 if errors else 200


@bp.get("/gaps.csv")
def gap_download():
    """Every matching gap as CSV, streamed in batches; bad filters get a 400 instead of a wrong file."""
    require("monitoring.view")
    filters, errors = gaps.parse_filters(request.args)
    if errors:
        body = "".join(f"{name}: {message}\n" for name, message in errors.items())
        return Response(body, status=400, mimetype="text/plain")
    now = utcnow()
    filename = csv_export.dated_filename("gaps", now)
    return Response(stream_with_context(gaps.csv_chunks(filters, now)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
