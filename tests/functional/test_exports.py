"""Open-data exports: every dataset in CSV and XLSX (and the RWs in GeoJSON) reads back with the right rows
and figures, filters apply, nothing private leaks, spreadsheets never run formulas, and cost stays flat."""
import csv
import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain import Role
from app.exports.routes import XLSX_MIMETYPE
from app.extensions import db
from app.models import RW, Expenditure, Package, Pledge
from app.services import export_formats, exports, lifecycle, pledging, regions
from app.services.csv_export import JAKARTA_OFFSET
from app.services.packages import create_package
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables
from tests.functional.conftest import rab
from tests.functional.test_catalogue import QueryCounter

DATASETS = list(exports.DATASETS)
FORMULA_TITLE = '=HYPERLINK("http://evil.example/x","Klik")'
ANONYMOUS_MESSAGE = "Dari Bu Rahayu, RT 03"
EMAIL = re.compile(rb"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture
def client(client):
    return client.use_language("en")


@pytest.fixture
def data(world, site, make):
    """The catalogue's `world` (two kotas, a draft) and the progress `site` (an aggregator's funded package
    with spending), plus an anonymous pledge, a company's pledge, a formula-like title, a cancelled draft,
    and a pledge and an expenditure smuggled onto the draft."""
    timur = world["Sanitasi Timur"]
    hidden = make.user(Role.COLLABORATOR, name="Rahasia Orang", email="rahasia@example.org")
    anonymous = pledging.create_pledge(timur, hidden, 5_000_000, anonymous=True, message=ANONYMOUS_MESSAGE)
    company = make.company_collaborator("PT Semen Sejahtera", name="Direktur Pabrik", email="direktur@semen.co.id")
    by_company = pledging.create_pledge(world["Drainase Utara"], company, 10_000_000, message="Untuk warga")
    east = world["Sanitasi Timur"].rw.kelurahan
    formula = create_package(make.rw(kelurahan=east), make.tier(), FORMULA_TITLE, rab(110_000_000))
    lifecycle.transition(formula, "published")
    cancelled_draft = create_package(make.rw(kelurahan=east), make.tier(), "Batal Sebelum Terbit", rab(130_000_000))
    lifecycle.transition(cancelled_draft, "cancelled", reason="Tidak jadi")
    db.session.commit()
    draft = world["draft"]
    db.session.add(Pledge(package_id=draft.id, collaborator_id=hidden.id, amount=7_000_000, message="DRAFT-PLEDGE"))
    db.session.add(Expenditure(package_id=draft.id, work_item_id=draft.items[0].id, amount=1_000_000,
                               spent_on=date(2024, 5, 1), description="DRAFT-SPEND", recorded_by_id=site.staff.id))
    spent = make.expenditure(site.package, 50_000_000, site.staff, spent_on=date(2024, 6, 3))
    spent.description = "@SUM(1+1) semen"
    db.session.commit()
    return type("Data", (), {"world": world, "site": site, "anonymous": anonymous, "by_company": by_company,
                             "formula": formula, "cancelled_draft": cancelled_draft, "spent": spent})


def download(client, dataset, fmt, query=""):
    """(response, rows as dicts): CSV values as text, XLSX values as the cells' types."""
    response = client.get(f"/data/{dataset}.{fmt}" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    else:
        workbook = load_workbook(io.BytesIO(response.get_data()))
        table = [list(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                 if sheet.title == dataset or row[0] != "id"]
    header, *body = table
    assert header == [column.name for column in exports.DATASETS[dataset].columns]
    return response, [dict(zip(header, row, strict=True)) for row in body]


def as_text(value):
    """An XLSX cell as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def same(text, cell):
    """A CSV value and an XLSX cell say the same (numbers compared as numbers: 1.00 == 1)."""
    if isinstance(cell, int | float | Decimal) and not isinstance(cell, bool):
        return Decimal(text) == Decimal(str(cell))
    return text == as_text(cell)


def body_text(response, fmt):
    """Every byte a reader gets, unzipped for XLSX."""
    if fmt != "xlsx":
        return response.get_data()
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def jakarta_day(moment):
    """A stored UTC time as the Jakarta calendar day the exports write."""
    return (moment + JAKARTA_OFFSET).date().isoformat() if moment else ""


@pytest.mark.parametrize("dataset", DATASETS)
def test_csv_and_xlsx_read_back_with_the_same_rows(client, data, dataset):
    _, from_csv = download(client, dataset, "csv")
    _, from_xlsx = download(client, dataset, "xlsx")
    assert from_csv and len(from_csv) == len(from_xlsx)
    for text_row, cell_row in zip(from_csv, from_xlsx, strict=True):
        mismatched = {name: (text_row[name], cell_row[name]) for name in text_row
                      if not same(text_row[name], cell_row[name])}
        # The one intended difference: CSV escapes formula-like text, XLSX stores it as text.
        assert all(text == "'" + as_text(cell) for text, cell in mismatched.values()), mismatched
    ids = [int(row["id"]) for row in from_csv]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_packages_rows_and_figures(client, data):
    _, rows = download(client, "packages", "csv")
    by_title = {row["title"]: row for row in rows}
    assert set(by_title) == {"Sanitasi Utara", "Drainase Utara", "Sanitasi Timur", "Jalan Timur",
                             "Drainase Kalibaru", "'" + FORMULA_TITLE}
    site = data.site.package
    row = by_title["Drainase Kalibaru"]
    assert (row["estimate"], row["committed"], row["received"], row["spent"]) == \
        ("200000000", "200000000", "200000000", "50000000")
    assert (row["status"], row["tier"], row["aggregator"]) == ("funded", "bersama", "Yayasan Kampung Sehat")
    assert (row["kota_code"], row["kecamatan_code"], row["kelurahan_code"]) == ("31.99", "31.99.01", "31.99.01.1001")
    assert row["kelurahan"] == "Kelurahan Uji 31.99" and row["rw_number"] == str(site.rw.number)
    assert row["published_on"] == jakarta_day(site.published_at) and row["funded_on"] == jakarta_day(site.funded_at)
    assert row["started_on"] == row["completed_on"] == row["cancelled_on"] == ""
    assert by_title["Sanitasi Timur"]["committed"] == "25000000"  # 20 jt + the anonymous 5 jt
    assert by_title["Drainase Utara"]["aggregator"] == ""

    _, cells = download(client, "packages", "xlsx")
    cell = next(row for row in cells if row["id"] == site.id)
    assert cell["estimate"] == 200_000_000 and isinstance(cell["estimate"], int)
    assert isinstance(cell["published_on"], datetime)
    assert cell["published_on"].date().isoformat() == jakarta_day(site.published_at)


def test_work_items_carry_labels_progress_and_spending(client, data):
    _, rows = download(client, "work_items", "csv")
    site = data.site
    mine = {row["id"]: row for row in rows if row["package_id"] == str(site.package.id)}
    drain, road = mine[str(site.drain.id)], mine[str(site.road.id)]
    assert (drain["aspect"], drain["aspect_label"], drain["description"]) == ("drainase", "Drainage", "Saluran U-ditch")
    assert (drain["quantity"], drain["unit"], drain["unit_cost"], drain["subtotal"]) == \
        ("1.00", "ls", "150000000", "150000000")
    assert (drain["spent"], road["spent"], road["subtotal"]) == ("50000000", "0", "50000000")
    package_ids = {int(row["package_id"]) for row in rows}
    assert data.world["draft"].id not in package_ids and data.cancelled_draft.id not in package_ids
    assert len(rows) == 7  # one item per world package and the formula one, two for the site


def test_pledges_name_people_as_the_ledger_does(client, data):
    _, rows = download(client, "pledges", "csv")
    by_id = {int(row["id"]): row for row in rows}
    anonymous = by_id[data.anonymous.id]
    assert (anonymous["pledger"], anonymous["message"], anonymous["amount"]) == \
        ("Anonymous", "withheld (anonymous pledge)", "5000000")
    company = by_id[data.by_company.id]
    assert (company["pledger"], company["message"], company["status"]) == ("PT Semen Sejahtera", "Untuk warga",
                                                                            "pledged")
    funder = next(row for row in rows if row["package_id"] == str(data.site.package.id))
    assert (funder["pledger"], funder["status"], funder["amount"]) == ("Siti Donatur", "received", "200000000")
    received = db.session.scalar(select(Pledge.received_at).where(Pledge.id == int(funder["id"])))
    assert funder["received_on"] == jakarta_day(received)
    assert len(rows) == 6  # world's three, anonymous, company, site's; never the draft's


def test_spending_rows_name_the_organisation_not_the_person(client, data):
    _, rows = download(client, "spending", "csv")
    assert len(rows) == 1
    row = rows[0]
    assert row == {"id": str(data.spent.id), "package_id": str(data.site.package.id),
                   "work_item_id": str(data.site.drain.id), "work_item": "Saluran U-ditch", "amount": "50000000",
                   "spent_on": "2024-06-03", "description": "'@SUM(1+1) semen", "recorded_by": "Yayasan Kampung Sehat"}


def test_rws_report_latest_and_baseline_assessments_and_packages(client, data, make):
    site_rw = data.site.package.rw
    regions.record_assessment(site_rw, make.shares(0.0), assessed_on=date(2099, 1, 2))
    db.session.commit()
    _, rows = download(client, "rws", "csv")
    assert len(rows) == db.session.scalar(select(func.count(RW.id))) == 8  # RWs all, drafts' included
    row = next(row for row in rows if row["id"] == str(site_rw.id))
    assert (row["latest_assessed_on"], row["latest_total"], row["slum_score"], row["slum_level"]) == \
        ("2099-01-02", "0", "0", "tidak_kumuh")
    assert row["baseline_total"] == "80" and row["baseline_assessed_on"] < "2099-01-02"
    assert (row["packages"], row["best_status"], row["households"], row["area_ha"]) == ("1", "funded", "250", "5.0")
    draft_rw = next(row for row in rows if row["id"] == str(data.world["draft"].rw_id))
    assert (draft_rw["packages"], draft_rw["best_status"]) == ("0", "")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_filters_choose_kota_and_kecamatan(client, data, make, fmt):
    east_kota = data.world["Sanitasi Timur"].rw.kota
    other = make.package(rw_=make.rw(kelurahan=make.kelurahan_in(east_kota)))  # another kecamatan of 31.75
    _, rows = download(client, "packages", fmt, "kota=31.75")
    assert {as_text(row["title"]).lstrip("'") for row in rows} == {"Sanitasi Timur", "Jalan Timur", "Paket uji",
                                                                   FORMULA_TITLE}
    _, rows = download(client, "packages", fmt, "kota=31.75&kecamatan=31.75.01")
    assert other.id not in {int(row["id"]) for row in rows} and len(rows) == 3
    _, rows = download(client, "pledges", fmt, "kecamatan=31.75.01")
    assert {int(row["package_id"]) for row in rows} == {data.world["Sanitasi Timur"].id, data.world["Jalan Timur"].id}
    _, rows = download(client, "rws", fmt, "kota=31.72")
    assert {as_text(row["kota_code"]) for row in rows} == {"31.72"} and len(rows) == 2


@pytest.mark.parametrize(("query", "parameter", "message"), [
    ("kota=31.75;DROP", "kota", "Not a region code."),
    ("kota=31.00", "kota", "No regency/city has this code."),
    ("kota=31.75.01", "kota", "No regency/city has this code."),  # a kecamatan given as kota
    ("kecamatan=31.75", "kecamatan", "No kecamatan has this code."),
    ("kota=31.72&kecamatan=31.75.01", "kecamatan", "This kecamatan is not in the chosen regency/city."),
])
def test_bad_filters_are_refused_with_400_naming_the_parameter(client, data, query, parameter, message):
    for path in ("/data/packages.csv", "/data/pledges.xlsx", "/data/rws.geojson"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert response.get_data(as_text=True) == f"{parameter}: {message}\n"
    page = client.get(f"/data?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True)


def every_export(client, query=""):
    """(name, format, response) for every file the open-data page offers."""
    suffix = f"?{query}" if query else ""
    for dataset in DATASETS:
        for fmt in ("csv", "xlsx"):
            yield dataset, fmt, client.get(f"/data/{dataset}.{fmt}{suffix}")
    yield "rws", "geojson", client.get(f"/data/rws.geojson{suffix}")


def test_no_draft_email_or_hidden_person_in_any_export(client, data):
    secrets = [b"Rahasia Draft", b"Batal Sebelum Terbit", b"DRAFT-PLEDGE", b"DRAFT-SPEND", b"Rahasia Orang",
               ANONYMOUS_MESSAGE.encode(), b"Direktur Pabrik", b"Rina Staf", b"TRF-1"]
    for dataset, fmt, response in every_export(client):
        assert response.status_code == 200
        body = body_text(response, fmt)
        assert not EMAIL.search(body), (dataset, fmt, EMAIL.search(body))
        assert not [secret for secret in secrets if secret in body], (dataset, fmt)
    assert EMAIL.search(b"rahasia@example.org")  # the pattern does find an address


def test_formulas_are_escaped_in_csv_and_stored_as_text_in_xlsx(client, data):
    _, rows = download(client, "packages", "csv")
    assert "'" + FORMULA_TITLE in {row["title"] for row in rows}
    response, cells = download(client, "packages", "xlsx")
    assert FORMULA_TITLE in {row["title"] for row in cells}
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    title = next(cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value == FORMULA_TITLE)
    assert title.data_type == "s"
    assert b"<f>" not in body_text(response, "xlsx")


def test_xlsx_has_a_bold_frozen_header_widths_and_formats(client, data):
    response = client.get("/data/packages.xlsx")
    assert response.headers["Content-Type"] == XLSX_MIMETYPE
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    sheet = load_workbook(io.BytesIO(response.get_data()))["packages"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b and sheet["A1"].value == "id"
    assert sheet.column_dimensions["C"].width == 40  # title
    header = [cell.value for cell in sheet[1]]
    estimate = sheet.cell(row=2, column=header.index("estimate") + 1)
    assert estimate.number_format == "#,##0" and isinstance(estimate.value, int)
    assert sheet.auto_filter.ref == f"A1:Y{sheet.max_row}"


def test_a_full_sheet_continues_on_the_next(app, data):
    dataset = exports.DATASETS["packages"]
    file, size = export_formats.xlsx_file(dataset, exports.Filters(), batch_size=2, rows_per_sheet=3)
    with file:
        workbook = load_workbook(io.BytesIO(file.read()))
    assert workbook.sheetnames == ["packages", "packages (2)", "packages (3)"]
    ids = [row[0] for sheet in workbook.worksheets for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [sheet.max_row for sheet in workbook.worksheets] == [3, 3, 3]
    assert ids == sorted(db.session.scalars(select(Package.id).where(Package.status != "draft",
                                                                      Package.published_at.is_not(None))))


def test_keyset_batches_miss_and_repeat_nothing(app, data):
    dataset = exports.DATASETS["pledges"]
    with QueryCounter() as counter:
        batches = list(exports.batches(dataset, exports.Filters(), batch_size=2))
    assert [len(batch) for batch in batches] == [2, 2, 2]
    assert counter.count == 4  # three full batches and the empty one that ends them
    ids = [row[0] for batch in batches for row in batch]
    assert ids == sorted(set(ids)) and len(ids) == 6


def test_csv_is_streamed_with_a_bom_and_a_dated_attachment_name(client, data):
    response = client.get("/data/pledges.csv")
    assert response.is_streamed
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert re.fullmatch(r"attachment; filename=rukun-pledges-\d{8}\.csv", response.headers["Content-Disposition"])
    assert response.get_data().startswith(b"\xef\xbb\xbfid,package_id,amount")
    xlsx = client.get("/data/rws.xlsx")
    assert re.fullmatch(r"attachment; filename=rukun-rws-\d{8}\.xlsx", xlsx.headers["Content-Disposition"])


def test_geojson_has_points_and_polygons(client, data, make):
    square = {"type": "Polygon", "coordinates": [[[106.8, -6.2], [106.801, -6.2], [106.801, -6.201],
                                                  [106.8, -6.201], [106.8, -6.2]]]}
    outlined = data.site.package.rw
    outlined.boundary_geojson = json.dumps(square)
    exact = make.rw(kelurahan=data.world["Jalan Timur"].rw.kelurahan)
    exact.lat, exact.lon = -6.123456789, 106.987654321
    broken = make.rw()
    broken.boundary_geojson = "not json"
    db.session.commit()
    response = client.get("/data/rws.geojson")
    assert response.is_streamed and response.mimetype == "application/geo+json"
    collection = json.loads(response.get_data())
    assert collection["type"] == "FeatureCollection"
    features = {feature["id"]: feature for feature in collection["features"]}
    assert len(features) == db.session.scalar(select(func.count(RW.id)))
    for feature in features.values():
        assert feature["type"] == "Feature" and feature["geometry"]["type"] in ("Point", "Polygon")
    assert features[outlined.id]["geometry"] == square
    assert features[outlined.id]["properties"]["status"] == "funded"
    assert features[exact.id]["geometry"] == {"type": "Point", "coordinates": [106.98765, -6.12346]}
    assert features[exact.id]["properties"]["status"] is None
    assert features[broken.id]["geometry"]["type"] == "Point"
    east = json.loads(client.get("/data/rws.geojson?kota=31.75").get_data())
    assert {feature["properties"]["kota_code"] for feature in east["features"]} == {"31.75"}
    assert len(east["features"]) == 6  # the world's two and draft, the formula's, the cancelled draft's, `exact`
    assert client.get("/data/rws.geojson?kota=31.72&kecamatan=31.72.01").status_code == 200


def test_open_data_page_lists_every_dataset_with_filtered_links(client, data):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/data">Open data</a>' in home
    page = client.get("/data?kota=31.75").get_data(as_text=True)
    for dataset in DATASETS:
        assert f'href="/data/{dataset}.csv?kota=31.75"' in page
        assert f'href="/data/{dataset}.xlsx?kota=31.75"' in page
    assert 'href="/data/rws.geojson?kota=31.75"' in page
    assert '<option value="31.75.01" >Kecamatan Uji 31.75</option>' in page  # the chosen kota's kecamatan
    assert "CC BY 4.0" in page and "style=" not in page and "<script>" not in page
    unfiltered = client.get("/data").get_data(as_text=True)
    assert 'href="/data/packages.csv"' in unfiltered and 'name="kecamatan" aria-describedby="kecamatan-help" disabled' \
        in unfiltered


def test_statements_grow_only_with_batches(client):
    counts = {}
    for size in (10, 200):
        seed_synthetic(size)
        counts[size] = {}
        for dataset, fmt, query in [*((d, f, "") for d in DATASETS for f in ("csv", "xlsx")),
                                    ("rws", "geojson", ""), ("pledges", "csv", "kota=S00.00")]:
            with QueryCounter() as counter:
                response = client.get(f"/data/{dataset}.{fmt}" + (f"?{query}" if query else ""))
                body = response.get_data()
            assert response.status_code == 200
            rows = body.count(b'"Feature"') if fmt == "geojson" else (
                len(download_rows(body, fmt)))
            # One statement per batch (the last one short), plus one region lookup when filtered.
            counts[size][dataset, fmt, query] = counter.count - rows // exports.BATCH_SIZE
        wipe_tables()
    print("statements beyond one per batch, at 10 and 200 packages:", counts)
    assert counts[10] == counts[200]
    assert max(counts[200].values()) <= 2


def download_rows(body, fmt):
    """The data rows of a CSV or XLSX body (header left out)."""
    if fmt == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    return list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(min_row=2, values_only=True))


def test_an_excel_download_too_large_for_a_request_is_refused_with_advice(client, world, monkeypatch):
    from app.exports import routes

    monkeypatch.setattr(routes, "XLSX_MAX_ROWS", 1)
    response = client.use_language("en").get("/data/packages.xlsx")
    assert response.status_code == 413
    assert "download the CSV" in response.get_data(as_text=True)
    assert client.get("/data/packages.csv").status_code == 200
