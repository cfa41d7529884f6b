"""Public ledger routes: read the filters, call one service, render or stream."""
from flask import Response, render_template, request, stream_with_context

from app.ledger import bp
from app.services import csv_export, public_ledger


@bp.get("/ledger")
def index():
    """The ledger page; bad filters are named, kept in the form, ignored, and answered with 400."""
    filters, errors = public_ledger.parse_filters(request.args)
    result = public_ledger.page(filters)
    page = render_template("ledger/index.html", result=result, errors=errors, raw=request.args,
                           ACTOR_KINDS=public_ledger.ACTOR_KINDS)
    return page, 400 if errors else 200


@bp.get("/ledger.csv")
def download():
    """The filtered ledger as CSV, streamed in batches; bad filters get a 400 instead of a wrong file."""
    filters, errors = public_ledger.parse_filters(request.args)
    if errors:
        body = "".join(f"{name}: {message}\n" for name, message in errors.items())
        return Response(body, status=400, mimetype="text/plain")
    filename = csv_export.dated_filename("ledger")
    return Response(stream_with_context(public_ledger.csv_chunks(filters)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
