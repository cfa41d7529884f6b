"""Spending per work item with receipts: only money received can be spent, receipts are checked and
kept private, and the package page shows spent against budget per item."""
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Expenditure, LedgerEntry, Package
from app.money import rupiah_short
from app.services import ledger
from tests.functional.conftest import jpeg

pytestmark = pytest.mark.usefixtures("english_pages")

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def spend(client, site, amount, receipt=("nota.pdf", PDF), item=None, description="Semen 50 sak"):
    data = {"work_item_id": str((item or site.drain).id), "amount": amount, "spent_on": "2021-06-01",
            "description": description}
    if receipt:
        data["receipt"] = (io.BytesIO(receipt[1]), receipt[0])
    return client.post(f"/manage/packages/{site.package.id}/spending/new", data=data,
                       content_type="multipart/form-data")


def receipts(app):
    folder = Path(app.config["UPLOAD_FOLDER"]) / "receipts"
    return list(folder.glob("*")) if folder.exists() else []


def test_spending_with_a_receipt_is_recorded_in_the_ledger_and_shown(app, client, login_as, site):
    login_as(site.staff)
    assert spend(client, site, "Rp 12.500.000").status_code == 302
    assert spend(client, site, "3.000.000", receipt=("nota.jpg", jpeg()), item=site.road).status_code == 302
    db.session.expire_all()
    package = db.session.get(Package, site.package.id)
    assert package.spent == 15_500_000
    assert ledger.package_totals_from_ledger(package.id)[package.id][2] == 15_500_000
    first, second = db.session.scalars(select(Expenditure).order_by(Expenditure.id)).all()
    assert (first.receipt_content_type, second.receipt_content_type) == ("application/pdf", "image/jpeg")

    pdf = client.get(f"/receipts/{first.id}")
    assert pdf.status_code == 200 and pdf.data == PDF and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert "private" in pdf.headers["Cache-Control"]
    client.post("/auth/logout")
    assert client.get(f"/receipts/{first.id}").status_code == 404  # receipts stay with staff

    page = client.get(f"/packages/{package.id}").get_data(as_text=True)
    drain_row = page.split(f'data-item="{site.drain.id}"')[1].split("</tr>")[0]
    assert rupiah_short(12_500_000) in drain_row
    assert "Spending recorded" in page


def test_only_money_received_can_be_spent(app, client, login_as, site):
    login_as(site.staff)
    assert spend(client, site, "199.000.000").status_code == 302
    response = spend(client, site, "1.000.001", description="Terlalu banyak")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Only money received can be spent" in html and "Terlalu banyak" in html
    assert db.session.scalar(select(func.count(Expenditure.id))) == 1
    assert len(receipts(app)) == 1  # the refused one left no file behind
    db.session.expire_all()
    assert db.session.get(Package, site.package.id).spent == 199_000_000


@pytest.mark.parametrize("name, content, message", [
    ("nota.pdf", PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
     "contains scripts"),
    ("nota.pdf", b"%PDF-1.4\nterpotong", "not a complete PDF"),
    ("nota.html", b"<html><script>alert(1)</script></html>", "web page, script or archive"),
    ("nota.jpg", b"bukan gambar" * 20, "not a photo we can read"),
])
def test_bad_receipts_are_refused_and_nothing_is_stored(app, client, login_as, site, name, content, message):
    login_as(site.staff)
    response = spend(client, site, "1.000.000", receipt=(name, content))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Expenditure.id))) == 0
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.action == "expenditure.recorded")) == 0
    assert receipts(app) == []


def test_a_receipt_is_required_and_only_the_managing_aggregator_records(client, login_as, make, site):
    login_as(site.staff)
    missing = spend(client, site, "1.000.000", receipt=None)
    assert missing.status_code == 422 and "Attach the receipt" in missing.get_data(as_text=True)
    client.post("/auth/logout")
    for user in (make.user("aggregator"), site.government, site.funder):
        login_as(user)
        assert spend(client, site, "1.000.000").status_code == 403
        client.post("/auth/logout")
    assert db.session.scalar(select(func.count(Expenditure.id))) == 0
