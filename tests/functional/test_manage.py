"""Government tools: the start page, RWs, slum assessments, tiers; permissions; the actions partial."""
import re
from urllib.parse import urlsplit

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from app.domain import CRITERION_COLUMNS, Role
from app.extensions import db
from app.models import RW, PackageTier, Region, SlumAssessment
from app.services.csv_export import jakarta_today

LONG = "x" * 121


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


def saved(value):
    """Commit what a flush-only factory made, so the app's own requests can see it."""
    db.session.commit()
    return value


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def errors_for(page, field_id):
    """The messages shown under one field."""
    match = re.search(rf'id="{re.escape(field_id)}-errors"[^>]*>((?:<div>.*?</div>)*)</div>', page, re.S)
    return re.findall(r"<div>(.*?)</div>", match.group(1)) if match else []


def rw_form(kelurahan, **overrides):
    data = {"kelurahan_code": kelurahan.code, "number": "7", "name": "Kampung Baru", "lat": "-6,1234",
            "lon": "106.8765", "approximate": "y", "households": "1.250", "population": "4800", "area_ha": "12,5"}
    data.update(overrides)
    return data


def assessment_form(value="0", **overrides):
    data = {column: value for column in CRITERION_COLUMNS}
    data.update({"assessed_on": "2024-03-01", "is_baseline": "y", "verified_area_ha": "12.5", "buildings": "900",
                 "population": "4800", "households": "1250", "ideal_road_length_m": "3200",
                 "ideal_drain_length_m": "4100"})
    data.update(overrides)
    return data


@pytest.mark.parametrize("path", ["/manage/", "/manage/rws", "/manage/rws/new", "/manage/tiers", "/manage/packages/1",
                                  "/manage/available"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize("path", ["/manage/", "/manage/rws", "/manage/rws/new", "/manage/tiers", "/manage/tiers/new"])
def test_collaborators_are_forbidden(client, make, login_as, path):
    login_as(make.user(Role.COLLABORATOR))
    assert client.get(path).status_code == 403


def test_aggregators_cannot_use_government_tools(client, make, login_as):
    login_as(make.user(Role.AGGREGATOR))
    kelurahan = saved(make.region_tree())
    assert client.get("/manage/").status_code == 200
    assert client.post("/manage/rws/new", data=rw_form(kelurahan)).status_code == 403
    assert client.get("/manage/tiers").status_code == 403
    assert count(RW) == 0


@pytest.mark.parametrize("path", ["/manage/rws/abc", "/manage/rws/1x/edit", "/manage/assessments/x",
                                  "/manage/tiers/-1/edit", "/manage/rws/999999", "/manage/assessments/999999",
                                  "/manage/tiers/999999/edit", "/manage/rws/999999/assessments/new"])
def test_unknown_or_non_numeric_ids_are_not_found(client, government, path):
    assert client.get(path).status_code == 404


def test_government_creates_an_rw_whose_kota_follows_the_kelurahan(client, make, government):
    kelurahan = saved(make.region_tree())
    response = client.post("/manage/rws/new", data=rw_form(kelurahan))
    assert response.status_code == 302
    rw = db.session.scalar(select(RW))
    assert (rw.number, rw.households, rw.area_ha, rw.lat) == (7, 1250, 12.5, -6.1234)
    assert rw.kecamatan_id == kelurahan.parent_id and rw.kota_id == kelurahan.parent.parent_id
    assert urlsplit(response.headers["Location"]).path == f"/manage/rws/{rw.id}"
    assert "RW 07" in client.get(f"/manage/rws/{rw.id}").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("number", "abc", "Enter a whole number."),
    ("number", "0", "Enter an RW number from 1 to 999."),
    ("lat", "91", "Latitude is a number from -90 to 90."),
    ("lon", "east", "Enter a number."),
    ("households", "-5", "Enter a whole number from 0 to 100,000."),
    ("population", "9999999999", "Enter a whole number from 0 to 500,000."),
    ("area_ha", "", "This field is required."),
    ("kelurahan_code", "99.99.99.9999", "No kelurahan has this code."),
    ("kelurahan_code", "31.99.01", "No kelurahan has this code."),
    ("name", LONG, "Field cannot be longer than 120 characters."),
])
def test_bad_rw_input_keeps_the_input_and_stores_nothing(client, make, government, field, value, message):
    kelurahan = saved(make.region_tree())
    response = client.post("/manage/rws/new", data=rw_form(kelurahan, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_for(page, field) == [message]
    assert 'value="Kampung Baru"' in page or field == "name"
    assert count(RW) == 0


def test_duplicate_rw_number_in_a_kelurahan_is_refused(client, make, government):
    existing = make.rw(number=7)
    response = client.post("/manage/rws/new", data=rw_form(existing.kelurahan, number="07"))
    assert response.status_code == 422
    assert errors_for(response.get_data(as_text=True), "number") == [
        f"RW 07 already exists in {existing.kelurahan.name}."]
    assert count(RW) == 1


def test_editing_an_rw_moves_its_kecamatan_and_kota_with_the_kelurahan(client, make, government):
    rw = make.rw(number=3)
    elsewhere = saved(make.region_tree("31.98"))
    page = client.get(f"/manage/rws/{rw.id}/edit").get_data(as_text=True)
    assert f'value="{rw.kelurahan.code}"' in page
    response = client.post(f"/manage/rws/{rw.id}/edit", data=rw_form(elsewhere, number="3"))
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(RW, rw.id)
    assert moved.kelurahan_id == elsewhere.id
    assert moved.kecamatan_id == elsewhere.parent_id
    assert moved.kota_id == db.session.scalar(select(Region.id).where(Region.code == "31.98"))


def test_editing_an_rw_to_a_taken_number_changes_nothing(client, make, government):
    first, second = make.rw(number=1), make.rw(number=2)
    response = client.post(f"/manage/rws/{second.id}/edit", data=rw_form(second.kelurahan, number="1"))
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(RW, second.id).number == 2 and db.session.get(RW, first.id).number == 1


def test_html_in_an_rw_name_is_shown_escaped(client, make, government):
    kelurahan = saved(make.region_tree())
    client.post("/manage/rws/new", data=rw_form(kelurahan, name="<b>Kampung</b>"))
    rw = db.session.scalar(select(RW))
    page = client.get(f"/manage/rws/{rw.id}").get_data(as_text=True)
    assert "&lt;b&gt;Kampung&lt;/b&gt;" in page and "<b>Kampung</b>" not in page


def test_an_assessment_is_scored_by_the_service_and_the_result_shown(client, make, government):
    rw = make.rw(share=0.0)
    shares = {"bld_irregular": "50,91", "bld_density": "75", "bld_noncompliant": "76.29", "road_coverage": "100",
              "road_surface": "80"}
    response = client.post(f"/manage/rws/{rw.id}/assessments/new",
                           data=assessment_form(**shares, assessed_on=jakarta_today().isoformat(), total_score="0",
                                                level="tidak_kumuh"))
    assert response.status_code == 302
    assessment = db.session.scalar(select(SlumAssessment).order_by(SlumAssessment.id.desc()))
    assert (assessment.total_score, assessment.level) == (1 + 3 + 5 + 5 + 5, "ringan")
    assert (assessment.households, assessment.verified_area_ha) == (1250, 12.5)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-score="19"' in page and "Light slum" in page
    db.session.expire_all()
    assert db.session.get(RW, rw.id).slum_level == "ringan"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("water_access", "100.5", "A share is a percentage from 0 to 100."),
    ("water_access", "-1", "A share is a percentage from 0 to 100."),
    ("water_access", "banyak", "Enter a number with at most 2 decimals."),
    ("water_access", "", "This field is required."),
    ("assessed_on", "2999-01-01", "The date cannot be in the future."),
    ("buildings", "1.5", "Enter a whole number."),
    ("source", "s" * 201, "Field cannot be longer than 200 characters."),
])
def test_bad_assessment_input_is_refused_and_nothing_stored(client, make, government, field, value, message):
    rw = make.rw()
    before = count(SlumAssessment)
    response = client.post(f"/manage/rws/{rw.id}/assessments/new",
                           data=assessment_form("30", **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_for(page, field) == [message]
    assert re.search(r'name="road_surface"[^>]*value="30"', page)
    assert count(SlumAssessment) == before


def test_government_edits_a_tier(client, make, government):
    tier = saved(make.tier())
    data = {"name": "Bersama <Baru>", "description": "Co-funded", "min_cost": "Rp 150.000.000",
            "max_cost": "800000000", "min_pledge": "2.000.000", "whole_only": ""}
    response = client.post(f"/manage/tiers/{tier.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    tier = db.session.get(PackageTier, tier.id)
    assert (tier.min_cost, tier.max_cost, tier.min_pledge, tier.whole_only) == (
        150_000_000, 800_000_000, 2_000_000, False)
    assert "Bersama &lt;Baru&gt;" in client.get("/manage/tiers").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_cost", "100.000", "The maximum cost cannot be below the minimum cost."),
    ("min_cost", "-1", "Enter a whole rupiah amount, such as 1.500.000."),
    ("min_pledge", "satu juta", "Enter a whole rupiah amount, such as 1.500.000."),
    ("min_pledge", "1500000,50", "Enter a whole rupiah amount, such as 1.500.000."),
    ("max_cost", "9" * 20, "Enter an amount from Rp 0 to Rp 1.000.000.000.000.000."),
    ("name", "n" * 61, "Field cannot be longer than 60 characters."),
])
def test_bad_tier_input_changes_nothing(client, make, government, field, value, message):
    tier = saved(make.tier())
    data = {"name": "Bersama", "min_cost": "100.000.000", "max_cost": "750.000.000", "min_pledge": "1.000.000",
            field: value}
    response = client.post(f"/manage/tiers/{tier.id}/edit", data=data)
    assert response.status_code == 422
    assert errors_for(response.get_data(as_text=True), field) == [message]
    db.session.expire_all()
    assert db.session.get(PackageTier, tier.id).max_cost == 750_000_000


def test_government_adds_a_tier_with_a_unique_code(client, make, government):
    saved(make.tier())
    data = {"code": "bersama", "name": "Lagi", "min_cost": "1", "max_cost": "2", "min_pledge": "0"}
    response = client.post("/manage/tiers/new", data=data)
    assert response.status_code == 422
    assert errors_for(response.get_data(as_text=True), "code") == ["A tier with this code already exists."]
    assert client.post("/manage/tiers/new", data={**data, "code": "kecil"}).status_code == 302
    assert count(PackageTier) == 2


def _actions(app, package, user=None):
    with app.test_request_context("/"):
        if user is not None:
            login_user(user)
        return render_template("manage/_package_actions.html", package=package).strip()


def test_the_actions_partial_shows_only_what_the_user_may_do(app, make):
    own = make.organisation()
    draft = make.package(status="draft")
    assigned = make.package(aggregator=own)
    assert _actions(app, draft) == ""
    assert _actions(app, draft, make.user(Role.COLLABORATOR)) == ""
    assert _actions(app, assigned, make.user(Role.AGGREGATOR)) == ""
    government_view = _actions(app, draft, make.user(Role.GOVERNMENT))
    assert all(action in government_view for action in ("/publish", "/edit", "/assign", "/cancel"))
    aggregator_view = _actions(app, assigned, make.user(Role.AGGREGATOR, organisation=own))
    assert "/schedule" in aggregator_view and "/publish" not in aggregator_view and "/cancel" not in aggregator_view
