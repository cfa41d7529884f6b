"""Government's package tools: drafts with their RAB rows, publish, assign, cancel; permissions and bad input."""
import re

import pytest
from sqlalchemy import func, select

from app.domain import PackageStatus, Role
from app.extensions import db
from app.models import LedgerEntry, Package, PackageTier, WorkItem
from app.services import packages
from app.services.packages import ItemInput, PackageError


@pytest.fixture
def client(client):
    """The shared client, reading English so messages can be matched."""
    return client.use_language("en")


@pytest.fixture
def government(make, login_as):
    """A signed-in government officer."""
    officer = make.user(Role.GOVERNMENT)
    login_as(officer)
    return officer


@pytest.fixture
def rw(make):
    """An assessed RW with the Bersama tier (Rp 100 jt – 750 jt) available."""
    make.tier()
    return make.rw()


def package_form(tier_id, rows, title="Saluran dan paving", **extra):
    """Form data: one dict per RAB row (aspect, description, quantity, unit, unit_cost)."""
    data = {"tier_id": str(tier_id), "title": title, "description": "Drainase RW", "submit": "Save draft"}
    for index, row in enumerate(rows):
        data.update({f"items-{index}-{key}": value for key, value in row.items()})
    data.update(extra)
    return data


def row(description="Saluran U-ditch", quantity="120", unit="m", unit_cost="Rp 1.500.000", aspect="drainase"):
    return {"aspect": aspect, "description": description, "quantity": quantity, "unit": unit, "unit_cost": unit_cost}


def bersama():
    return db.session.scalar(select(PackageTier).where(PackageTier.code == "bersama"))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def entries(action):
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)).all()


def test_government_creates_a_draft_whose_estimate_is_computed(client, government, rw):
    data = package_form(bersama().id, [row(), row("Paving blok", "1.250,5", "m2", "150000", "jalan")])
    response = client.post(f"/manage/rws/{rw.id}/packages/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    package = db.session.scalar(select(Package))
    assert package.status == PackageStatus.DRAFT
    assert package.estimate == 120 * 1_500_000 + 187_575_000
    assert [str(item.quantity) for item in package.items] == ["120.00", "1250.50"]
    (created,) = entries("package.created")
    assert created.actor_id == government.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rp 367.575.000" in page and "/publish" in page


def test_add_row_re_renders_with_a_new_row_and_the_running_total(client, government, rw):
    data = package_form(bersama().id, [row(quantity="abc")], add_row="Add row")
    del data["submit"]
    response = client.post(f"/manage/rws/{rw.id}/packages/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="items-1-description"' in page and 'value="abc"' in page
    assert "invalid-feedback" not in page  # adding a row is not a save: no messages yet
    data = package_form(bersama().id, [row(), row(unit_cost="")], add_row="Add row")
    page = client.post(f"/manage/rws/{rw.id}/packages/new", data=data).get_data(as_text=True)
    assert 'data-total="180000000"' in page and 'name="items-2-unit"' in page
    assert count(Package) == 0


def test_remove_row_drops_that_row_and_keeps_the_others(client, government, rw):
    data = package_form(bersama().id, [row("Satu"), row("Dua"), row("Tiga")], **{"items-1-remove": "Remove row"})
    del data["submit"]
    page = client.post(f"/manage/rws/{rw.id}/packages/new", data=data).get_data(as_text=True)
    assert 'value="Satu"' in page and 'value="Tiga"' in page and 'value="Dua"' not in page
    assert 'name="items-2-description"' not in page
    assert count(Package) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("quantity", "-1", "Enter a quantity above 0 and at most 1,000,000."),
    ("quantity", "0", "Enter a quantity above 0 and at most 1,000,000."),
    ("quantity", "99999999", "Enter a quantity above 0 and at most 1,000,000."),
    ("quantity", "1.2345", "Enter a number with at most 2 decimals."),
    ("quantity", "lots", "Enter a number with at most 2 decimals."),
    ("unit_cost", "-5", "Enter a whole rupiah amount, such as 1.500.000."),
    ("unit_cost", "1.500.000,50", "Enter a whole rupiah amount, such as 1.500.000."),
    ("unit_cost", "9" * 16, "Enter a unit cost from Rp 0 to Rp 100.000.000.000."),
    ("description", "d" * 301, "Field cannot be longer than 300 characters."),
    ("unit", "", "This field is required."),
    ("aspect", "roket", "Not a valid choice."),
])
def test_bad_rows_are_refused_with_one_message_and_nothing_stored(client, government, rw, field, value, message):
    data = package_form(bersama().id, [row(), row(**{field: value})])
    response = client.post(f"/manage/rws/{rw.id}/packages/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.search(rf'id="items-1-{field}-errors"[^>]*>((?:<div>.*?</div>)*)</div>', page).group(1)
    assert re.findall(r"<div>(.*?)</div>", errors) == [message]
    assert 'value="Saluran dan paving"' in page
    assert count(Package) == count(WorkItem) == count(LedgerEntry) == 0


def test_an_estimate_outside_the_tier_range_names_the_range(client, government, rw):
    data = package_form(bersama().id, [row(quantity="1", unit_cost="5.000.000")])
    response = client.post(f"/manage/rws/{rw.id}/packages/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("The estimate Rp 5.000.000 is outside the Bersama range of Rp 100.000.000 to Rp 750.000.000."
            in page)
    assert 'data-total="5000000"' in page
    assert count(Package) == 0


def test_html_in_a_title_is_shown_escaped(client, government, rw):
    data = package_form(bersama().id, [row()], title="<script>alert(1)</script>")
    response = client.post(f"/manage/rws/{rw.id}/packages/new", data=data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.AGGREGATOR])
def test_only_government_creates_packages(client, make, login_as, rw, role):
    login_as(make.user(role))
    data = package_form(bersama().id, [row()])
    assert client.get(f"/manage/rws/{rw.id}/packages/new").status_code == 403
    assert client.post(f"/manage/rws/{rw.id}/packages/new", data=data).status_code == 403
    assert count(Package) == 0


@pytest.mark.parametrize("path", ["/manage/rws/abc/packages/new", "/manage/packages/abc", "/manage/packages/1.5/edit",
                                  "/manage/packages/999999", "/manage/packages/999999/cancel"])
def test_unknown_or_non_numeric_package_ids_are_not_found(client, government, path):
    assert client.get(path).status_code == 404


def test_government_revises_a_draft(client, make, government, rw):
    draft = make.package(status="draft", rw_=rw)
    page = client.get(f"/manage/packages/{draft.id}/edit").get_data(as_text=True)
    assert 'value="Saluran U-ditch"' in page and 'value="200.000.000"' in page
    data = package_form(bersama().id, [row(quantity="100"), row("Paving", "10", "m2", "2.000.000", "jalan")],
                        title="Revisi")
    assert client.post(f"/manage/packages/{draft.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    revised = db.session.get(Package, draft.id)
    assert (revised.title, revised.estimate, len(revised.items)) == ("Revisi", 170_000_000, 2)
    assert count(WorkItem) == 2
    (entry,) = entries("package.revised")
    assert (entry.before, entry.after, entry.actor_id) == ("200000000", "170000000", government.id)


def test_a_published_package_keeps_its_costs(client, make, government, rw, english):
    published = make.package(rw_=rw)
    data = package_form(bersama().id, [row(quantity="10")], title="Lebih murah")
    response = client.post(f"/manage/packages/{published.id}/edit", data=data)
    assert response.status_code == 422
    assert "Costs and work items can only change while the package is a draft." in response.get_data(as_text=True)
    db.session.expire_all()
    unchanged = db.session.get(Package, published.id)
    assert (unchanged.title, unchanged.estimate) == ("Paket uji", 200_000_000)
    with pytest.raises(PackageError, match="only change while the package is a draft"):
        packages.update_draft(unchanged, unchanged.tier, "x", [ItemInput("jalan", "Paving", 1, "m2", 150_000_000)])


def test_publishing_through_the_ui_writes_the_ledger(client, make, government, rw):
    draft = make.package(status="draft", rw_=rw)
    response = client.post(f"/manage/packages/{draft.id}/publish")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Package, draft.id).status == PackageStatus.PUBLISHED
    (entry,) = [e for e in entries("package.status") if e.after == "published"]
    assert (entry.before, entry.actor_id, entry.package_id) == ("draft", government.id, draft.id)
    again = client.post(f"/manage/packages/{draft.id}/publish")
    assert again.status_code == 422 and "cannot go from" in again.get_data(as_text=True)


def test_publishing_refuses_a_package_without_items_or_outside_its_tier(client, make, government, rw):
    empty = Package(rw=rw, tier=bersama(), title="Kosong", status=PackageStatus.DRAFT, estimate=0)
    db.session.add(empty)
    db.session.commit()
    response = client.post(f"/manage/packages/{empty.id}/publish")
    assert response.status_code == 422
    assert "Add work items before publishing the package." in response.get_data(as_text=True)
    draft = make.package(status="draft", estimate=120_000_000, rw_=rw)
    bersama().min_cost = 150_000_000
    db.session.commit()
    response = client.post(f"/manage/packages/{draft.id}/publish")
    assert response.status_code == 422 and "outside the Bersama range" in response.get_data(as_text=True)
    db.session.expire_all()
    assert {p.status for p in db.session.scalars(select(Package))} == {PackageStatus.DRAFT}
    assert not [e for e in entries("package.status") if e.after == "published"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_management_page_renders_for_government(client, make, login_as, language):
    client.use_language(language)
    login_as(make.user(Role.GOVERNMENT))
    tier = make.tier()
    draft = make.package(status="draft", tier_=tier)
    published = make.package(tier_=tier, aggregator=make.organisation())
    rw_id = draft.rw_id
    assessment_id = draft.rw.assessments[0].id
    paths = ["/manage/", "/manage/rws", "/manage/rws?q=Uji", "/manage/rws/new", f"/manage/rws/{rw_id}",
             f"/manage/rws/{rw_id}/edit", f"/manage/rws/{rw_id}/assessments/new",
             f"/manage/assessments/{assessment_id}",
             "/manage/tiers", "/manage/tiers/new", f"/manage/tiers/{tier.id}/edit", "/manage/packages",
             "/manage/packages?status=draft", f"/manage/rws/{rw_id}/packages/new", f"/manage/packages/{draft.id}",
             f"/manage/packages/{draft.id}/edit", f"/manage/packages/{published.id}",
             f"/manage/packages/{published.id}/assign", f"/manage/packages/{published.id}/cancel",
             f"/manage/packages/{published.id}/schedule"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page, path
    assert client.get("/manage/packages?status=finished").status_code == 400
