"""The monitoring dashboard and the public transparency pages: who sees them, filters, tables, charts, cost."""
import json
import re

import pytest
from sqlalchemy import select

from app.domain import Role
from app.extensions import db
from app.models import Package
from app.services import pledging, progress
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables
from tests.functional.test_catalogue import queries_for


@pytest.fixture
def jakarta_timur(make):
    """Jakarta Timur with two kecamatans: one severe RW unfunded in each, one funded and under way."""
    east = make.region_tree("31.75")
    other = make.kelurahan_in(east.parent.parent, name="Cipinang")
    org = make.organisation("Yayasan Timur")
    staff = make.user(Role.AGGREGATOR, organisation=org)
    government = make.user(Role.GOVERNMENT)
    make.rw(kelurahan=east, share=100.0)
    make.rw(kelurahan=other, share=100.0)
    busy = make.package(300_000_000, aggregator=org, rw_=make.rw(kelurahan=east, share=100.0))
    pledge = pledging.create_pledge(busy, make.user(Role.COLLABORATOR), 300_000_000)
    pledging.confirm_received(pledge, staff)
    progress.submit_report(busy, staff, progress.jakarta_today(), "Mulai", {busy.items[0].id: 20})
    db.session.commit()
    return type("World", (), {"east": east, "other": other, "government": government, "package": busy})


def test_government_sees_monitoring_the_public_sees_transparency(client, login_as, make, jakarta_timur):
    assert client.get("/monitoring").status_code == 302  # sign in first
    assert client.get("/transparency").status_code == 200
    login_as(make.user(Role.COLLABORATOR))
    assert client.get("/monitoring").status_code == 403
    client.post("/auth/logout")
    login_as(jakarta_timur.government)
    assert client.get("/monitoring").status_code == 200


def test_the_kecamatans_with_severe_unfunded_rws_and_the_aggregators_lag(client, login_as, jakarta_timur):
    """"Which kecamatan in Jakarta Timur have severe RWs with no funding, and how far is each aggregator
    behind?" — answered by the dashboard filtered to the kota."""
    package = db.session.get(Package, jakarta_timur.package.id)
    package.planned_start = progress.jakarta_today().replace(day=1).replace(year=progress.jakarta_today().year - 1)
    package.planned_end = progress.jakarta_today().replace(year=progress.jakarta_today().year + 1)
    db.session.commit()
    login_as(jakarta_timur.government)
    html = client.use_language("en").get("/monitoring?kota=31.75").get_data(as_text=True)
    rows = dict(re.findall(r'data-region="([\d.]+)".*?data-figure="severe-unfunded">(\d+)<', html, re.S))
    assert rows == {jakarta_timur.east.parent.code: "1", jakarta_timur.other.parent.code: "1"}
    aggregator = html.split('data-aggregator="Yayasan Timur"')[1].split("</tr>")[0]
    lag = float(re.search(r'data-figure="lag">([\d.,]+) pp', aggregator).group(1).replace(",", "."))
    assert 20 < lag < 80  # half way through the schedule with 0 % verified progress
    assert 'data-figure="in-programme">1<' in html


def test_filters_are_checked_and_named(client, login_as, jakarta_timur):
    login_as(jakarta_timur.government)
    bad = client.use_language("en").get("/monitoring?kota=31.75;DROP&date_from=31-12-2021&date_to=2021-01-01")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Not a region code" in html and "Use a date such as" in html
    assert client.get("/monitoring?kota=31.99").status_code == 404
    assert client.get("/monitoring?kecamatan=31.75.99").status_code == 404
    assert client.get(f"/monitoring?kota=31.75&kecamatan={jakarta_timur.east.parent.code}").status_code == 200


def test_charts_carry_their_data_and_a_table(client, jakarta_timur):
    html = client.get("/transparency").get_data(as_text=True)
    specs = dict(re.findall(r'<script type="application/json" id="(chart-[a-z]+)">(.*?)</script>', html, re.S))
    assert set(specs) == {"chart-funding", "chart-status", "chart-aspects", "chart-aggregators"}
    funding = json.loads(specs["chart-funding"])
    assert funding["datasets"][0]["data"][-1] == 300_000_000  # cumulative committed
    aspects = json.loads(specs["chart-aspects"])
    assert aspects["datasets"][0]["data"] == [300_000_000]
    for chart in specs:
        assert f'data-table="{chart}"' in html and f'data-chart="{chart}"' in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "cdn" not in html.lower()


def test_the_dashboard_costs_the_same_statements_at_any_size(app, client):
    counts = []
    for size in (20, 400):
        seed_synthetic(size, progress=False)
        counts.append(queries_for(client, "/transparency"))
        counts.append(queries_for(client, "/transparency?kota=S00.00&date_from=2020-01-01"))
        wipe_tables()
    assert counts[:2] == counts[2:]
    assert max(counts) <= 16


def test_completed_packages_show_before_and_after(client, make, jakarta_timur):
    package = db.session.get(Package, jakarta_timur.package.id)
    report = db.session.scalars(select(progress.ProgressReport)).one()
    progress.verify_report(report, jakarta_timur.government, package)
    final = progress.submit_report(package, make.user(Role.AGGREGATOR, organisation=package.aggregator),
                                   progress.jakarta_today(), "Selesai", {package.items[0].id: 100}, is_final=True)
    progress.verify_report(final, jakarta_timur.government, package)
    db.session.commit()
    assert package.status == "completed"
    from datetime import timedelta

    from app.services import regions
    regions.record_assessment(package.rw, make.shares(0.0), assessed_on=progress.jakarta_today() + timedelta(days=1))
    db.session.commit()
    html = client.use_language("en").get("/transparency?kota=31.75").get_data(as_text=True)
    assert "1 of 1 completed RWs were reassessed" in html and "80.0 before, 0.0 after" in html


def test_the_decision_tables_download_with_the_filters(client, jakarta_timur):
    import csv
    import io

    response = client.get("/transparency/regions.csv?kota=31.75")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["code"]: row["severe_unfunded"] for row in rows} == {
        jakarta_timur.east.parent.code: "1", jakarta_timur.other.parent.code: "1"}
    aggregators = list(csv.DictReader(io.StringIO(client.get("/transparency/aggregators.csv").get_data(as_text=True))))
    assert [row["aggregator"] for row in aggregators] == ["Yayasan Timur"]
    assert aggregators[0]["received"] == "300000000"
    assert client.get("/transparency/regions.csv?kota=bad!").status_code == 400
