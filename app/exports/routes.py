"""Open-data routes: read the region filters, call one service, render or stream. Public by design."""
from flask import Response, render_template, request, stream_with_context
from flask_babel import format_number
from flask_babel import gettext as _

from app.exports import bp
from app.services import csv_export, export_formats, exports, stats

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# openpyxl writes ~30,000 cells a second: beyond this many rows a workbook would outlast a web request.
XLSX_MAX_ROWS = 100_000
DATASET = f"<any({', '.join(exports.DATASETS)}):dataset>"


def _refusal(errors):
    """Bad filters get a 400 naming each parameter, instead of a wrong or empty file."""
    body = "".join(f"{name}: {message}\n" for name, message in errors.items())
    return Response(body, status=400, mimetype="text/plain")


def _attachment(filename):
    return {"Content-Disposition": f"attachment; filename={filename}"}


@bp.get("")
def index():
    """The datasets with a link per format, and the region filters the links carry."""
    filters, errors = exports.parse_filters(request.args)
    page = render_template("exports/index.html", datasets=exports.DATASETS.values(), filters=filters,
                           errors=errors, raw=request.args, kotas=stats.kotas_with_rws(),
                           kecamatans=exports.kecamatan_choices(filters))
    return page, 400 if errors else 200


@bp.get(f"/{DATASET}.csv")
def download_csv(dataset):
    """A dataset as CSV, streamed batch by batch."""
    filters, errors = exports.parse_filters(request.args)
    if errors:
        return _refusal(errors)
    chunks = export_formats.csv_chunks(exports.DATASETS[dataset], filters)
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers=_attachment(csv_export.dated_filename(dataset)))


@bp.get(f"/{DATASET}.xlsx")
def download_xlsx(dataset):
    """A dataset as an Excel workbook, written to a temporary file, then streamed."""
    filters, errors = exports.parse_filters(request.args)
    if errors:
        return _refusal(errors)
    rows = exports.row_count(exports.DATASETS[dataset], filters)
    if rows > XLSX_MAX_ROWS:
        message = _("This workbook would hold %(rows)s rows; Excel downloads stop at %(limit)s. Choose a "
                    "regency/city or district, or download the CSV, which has no limit.",
                    rows=format_number(rows), limit=format_number(XLSX_MAX_ROWS))
        return Response(message + "\n", status=413, mimetype="text/plain")
    file, size = export_formats.xlsx_file(exports.DATASETS[dataset], filters)
    headers = _attachment(csv_export.dated_filename(dataset, extension="xlsx")) | {"Content-Length": str(size)}
    return Response(export_formats.file_chunks(file), mimetype=XLSX_MIMETYPE, headers=headers)


@bp.get("/rws.geojson")
def download_geojson():
    """Every RW as GeoJSON (boundary polygons where known, else points), streamed batch by batch."""
    filters, errors = exports.parse_filters(request.args)
    if errors:
        return _refusal(errors)
    return Response(stream_with_context(export_formats.geojson_chunks(filters)), mimetype="application/geo+json",
                    headers=_attachment(csv_export.dated_filename("rws", extension="geojson")))
