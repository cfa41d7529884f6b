"""The open-data file formats: CSV and GeoJSON as text chunks generated batch by batch, XLSX written
row by row into a spooled temporary file (openpyxl's write-only mode), so memory stays flat at any size.

CSV is RFC 4180 (comma, double quotes, CRLF) in UTF-8 *with* a byte-order mark: Excel, which most readers
open a download with, otherwise reads UTF-8 as the Windows code page and garbles names, while pandas, R,
LibreOffice and Python's "utf-8-sig" skip the mark. Excel set to Indonesian regional settings expects
semicolons in CSV, so the XLSX file is the one for spreadsheets. Money is whole rupiah, dates are ISO
(YYYY-MM-DD), text a spreadsheet would run as a formula gets a leading apostrophe (`safe_cell`).
XLSX keeps numbers as numbers and dates as dates, and stores every text as text, never as a formula.
"""
import csv
import io
import json
import tempfile
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.models import RW
from app.services import exports
from app.services.csv_export import safe_cell
from app.services.geometry import POLYGONAL

BOM = "\ufeff"
MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header included: longer exports continue on another sheet
SPOOL_BYTES = 8 * 1024 * 1024  # smaller workbooks stay in memory, larger ones go to a temporary file
CHUNK_BYTES = 64 * 1024
COORDINATE_DIGITS = 5  # ~1 m: plenty for an RW centre


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def csv_chunks(dataset, filters, batch_size=exports.BATCH_SIZE):
    """The dataset as CSV text: the BOM and the header, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.name for column in dataset.columns])
    yield BOM + buffer.getvalue()
    for batch in exports.batches(dataset, filters, batch_size):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_value(value) for value in row] for row in batch)
        yield buffer.getvalue()


class _Sheets:
    """Write-only worksheets of one dataset, a new one (header, widths, frozen header) when one is full."""

    def __init__(self, workbook, dataset, rows_per_sheet):
        self.workbook, self.dataset, self.rows_per_sheet = workbook, dataset, rows_per_sheet
        self.sheet, self.rows, self.count = None, 0, 0
        self.formats = [column.number_format for column in dataset.columns]

    def _close(self):
        if self.sheet is not None and self.rows > 1:
            last = get_column_letter(len(self.dataset.columns))
            self.sheet.auto_filter.ref = f"A1:{last}{self.rows}"

    def _open(self):
        self._close()
        self.count += 1
        title = self.dataset.name if self.count == 1 else f"{self.dataset.name} ({self.count})"
        self.sheet = self.workbook.create_sheet(title)
        for index, column in enumerate(self.dataset.columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in self.dataset.columns:
            cell = WriteOnlyCell(self.sheet, column.name)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.rows = 1

    def append(self, row):
        """Add one data row, opening the next sheet when this one is full."""
        if self.sheet is None or self.rows >= self.rows_per_sheet:
            self._open()
        self.sheet.append([self._cell(value, fmt) for value, fmt in zip(row, self.formats, strict=True)])
        self.rows += 1

    def finish(self):
        """Open a sheet if there were no rows (the header still says what the columns are); add filters."""
        if self.sheet is None:
            self._open()
        self._close()

    def _cell(self, value, number_format):
        if isinstance(value, str):
            # openpyxl refuses control characters and would store "=..." as a formula and "#N/A" as an error.
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("=") or value in ERROR_CODES:
                cell = WriteOnlyCell(self.sheet, value)
                cell.data_type = "s"
                return cell
            return value
        if number_format and isinstance(value, int | Decimal):
            cell = WriteOnlyCell(self.sheet, value)
            cell.number_format = number_format
            return cell
        return value


def xlsx_file(dataset, filters, batch_size=exports.BATCH_SIZE, rows_per_sheet=MAX_SHEET_ROWS):
    """The dataset as an XLSX workbook in a temporary file: (file rewound to the start, size in bytes).

    The caller reads and closes the file (`file_chunks`). openpyxl's write-only sheets spill rows to
    their own temporary files as they come, so neither the rows nor the workbook are held in memory.
    """
    workbook = Workbook(write_only=True)
    sheets = _Sheets(workbook, dataset, rows_per_sheet)
    for batch in exports.batches(dataset, filters, batch_size):
        for row in batch:
            sheets.append(row)
    sheets.finish()
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by file_chunks
    try:
        workbook.save(file)
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file, size


def file_chunks(file, chunk_bytes=CHUNK_BYTES):
    """Read `file` in chunks and close it at the end (or when the reader stops early)."""
    try:
        while data := file.read(chunk_bytes):
            yield data
    finally:
        file.close()


def _geometry(boundary, lon, lat):
    """The RW's boundary polygon when one is stored and readable, else its (rounded) point."""
    if boundary:
        try:
            shape = json.loads(boundary)
        except ValueError:
            shape = None
        if isinstance(shape, dict) and shape.get("type") in POLYGONAL and shape.get("coordinates"):
            return shape
    return {"type": "Point", "coordinates": [lon, lat]}


GEOJSON_PROPERTIES = ("id", "kota_code", "kota", "kecamatan_code", "kecamatan", "kelurahan_code", "kelurahan",
                      "rw_number", "name", "lat", "lon", "location_approximate", "households", "population",
                      "area_ha", "slum_score", "slum_level", "latest_assessed_on", "latest_total",
                      "baseline_assessed_on", "baseline_total", "packages", "status")


def geojson_chunks(filters, batch_size=exports.BATCH_SIZE):
    """Every RW in the chosen regions as a GeoJSON FeatureCollection (text chunks, one per batch).

    Properties are the RW dataset's columns (`status` is the most advanced public package's status, or
    null); the geometry is the boundary polygon when one was imported, else the centre point [lon, lat].
    """
    dataset = exports.DATASETS["rws"]
    query = exports.rw_query(filters, RW.boundary_geojson)
    labels = exports.words()
    yield '{"type":"FeatureCollection","features":['
    first = True
    for rows in exports.keyset(query, RW.id, batch_size):
        features = []
        for raw in rows:
            properties = dict(zip(GEOJSON_PROPERTIES, exports.plain_row(dataset, raw[:-1], labels), strict=True))
            properties["lat"] = round(properties["lat"], COORDINATE_DIGITS)
            properties["lon"] = round(properties["lon"], COORDINATE_DIGITS)
            geometry = _geometry(raw[-1], properties["lon"], properties["lat"])
            features.append(json.dumps({"type": "Feature", "id": properties["id"], "geometry": geometry,
                                        "properties": properties}, default=_json_default, separators=(",", ":")))
        yield ("" if first else ",") + ",".join(features)
        first = False
    yield "]}"


def _json_default(value):
    """Dates as ISO text (JSON has no date type)."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
