"""Government's monitoring dashboard in a real browser: Chart.js draws the four charts from the app's own
assets, each chart's "As a table" holds the numbers of its JSON spec, the kota filter narrows the regions,
and at a phone's width the page does not scroll sideways. Nothing leaves 127.0.0.1."""
import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.domain import PackageStatus, Role
from app.extensions import db
from app.services import lifecycle, pledging, progress
from app.services.packages import ItemInput, create_package
from tests.browser.browsing import (
    dropped_requests_end,  # noqa: F401 (a fixture)
    navbar,
    sign_in,
    snap,
    use_english,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("dropped_requests_end")]

CHARTS = ("chart-funding", "chart-status", "chart-aspects", "chart-aggregators")
PHONE = 360  # px, the narrowest common Android width
TOLERANCE = 1  # px of sub-pixel rounding


@pytest.fixture
def programme(make):
    """Jakarta Utara: one package open, one partly pledged. Jakarta Timur (two kecamatans): one in progress
    with a verified report, one completed, a draft, and a severe RW without a package. One aggregator."""
    utara = make.region_tree("31.72")
    timur = make.region_tree("31.75")
    cipinang = make.kelurahan_in(make.kota_of(timur), name="Cipinang")
    utara.parent.name, timur.parent.name, cipinang.parent.name = "Cilincing", "Jatinegara", "Pulo Gadung"
    make.kota_of(utara).name = "Kota Administrasi Jakarta Utara"
    make.kota_of(timur).name = "Kota Administrasi Jakarta Timur"
    org = make.organisation("Yayasan Kampung Sehat")
    staff = make.user(Role.AGGREGATOR, organisation=org)
    government = make.user(Role.GOVERNMENT, name="Budi Perkim")
    funder = make.user(Role.COLLABORATOR)

    def package(kelurahan, title, *items, share=80.0):
        created = create_package(make.rw(kelurahan=kelurahan, share=share), make.tier(), title,
                                 [ItemInput(aspect, aspect.title(), Decimal(1), "ls", cost) for aspect, cost in items],
                                 aggregator=org)
        lifecycle.transition(created, PackageStatus.PUBLISHED)
        db.session.commit()
        return created

    def funded(created):
        pledge = pledging.create_pledge(created, funder, created.estimate)
        pledging.confirm_received(pledge, staff, reference="TRF")
        db.session.commit()
        return created

    def verified(created, percent, final=False):
        report = progress.submit_report(created, staff, progress.jakarta_today(), "Laporan",
                                        {item.id: percent for item in created.items}, is_final=final)
        progress.verify_report(report, government, created)
        db.session.commit()

    package(utara, "Drainase Utara", ("drainase", 200_000_000))
    pledging.create_pledge(package(utara, "Sanitasi Utara", ("air_limbah", 300_000_000), share=60.0), funder,
                           50_000_000)
    verified(funded(package(timur, "Jalan dan drainase Timur", ("jalan", 120_000_000), ("drainase", 80_000_000))),
             50)
    verified(funded(package(cipinang, "Paving Cipinang", ("jalan", 150_000_000))), 100, final=True)
    create_package(make.rw(kelurahan=timur), make.tier(), "Draft Timur", [ItemInput("sampah", "Sampah", Decimal(1),
                                                                                    "ls", 120_000_000)])
    make.rw(kelurahan=cipinang, share=100.0)  # severe, nothing planned
    db.session.commit()
    return type("Programme", (), {"government": government, "utara": make.kota_of(utara),
                                  "timur": make.kota_of(timur), "kecamatans": {timur.parent.code,
                                                                                cipinang.parent.code}})


def digits(text):
    """'Rp 1.250.000' or '1,250' → 1250."""
    return int(re.sub(r"\D", "", text))


def check_chart_table(page, chart_id):
    """Open the chart's "As a table" and compare it, row by row, with the chart's JSON spec."""
    spec = json.loads(page.locator(f'script[type="application/json"]#{chart_id}').text_content())
    figure = page.locator("figure").filter(has=page.locator(f'canvas[data-chart="{chart_id}"]'))
    table = figure.locator(f'table[data-table="{chart_id}"]')
    expect(table).to_be_hidden()
    figure.get_by_text("As a table").click()
    expect(table).to_be_visible()
    headers = [cell.strip() for cell in table.locator("thead th").all_inner_texts()]
    assert headers == [""] + [dataset["label"] for dataset in spec["datasets"]], chart_id
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(spec["labels"]))
    assert spec["labels"], f"{chart_id} has no data"
    for index, label in enumerate(spec["labels"]):
        row = rows.nth(index)
        assert row.locator("th").inner_text().strip() == label
        shown = [digits(cell) for cell in row.locator("td").all_inner_texts()]
        assert shown == [dataset["data"][index] for dataset in spec["datasets"]], (chart_id, label)
    return spec


def test_government_dashboard_charts_tables_filter_and_phone_width(page, page_log, programme):
    government = programme.government
    page.goto("/")
    use_english(page)
    sign_in(page, government.email, government.name)
    navbar(page).get_by_role("link", name="Monitoring").click()
    expect(page.get_by_role("heading", name="Programme monitoring")).to_be_visible()

    expect(page.locator('canvas[data-chart][data-drawn="true"]')).to_have_count(len(CHARTS))
    for chart_id in CHARTS:
        assert page.locator(f'canvas[data-chart="{chart_id}"]').bounding_box()["height"] > 0
    specs = {chart_id: check_chart_table(page, chart_id) for chart_id in CHARTS}
    assert specs["chart-funding"]["datasets"][0]["data"][-1] == 200_000_000 + 50_000_000 + 150_000_000
    assert specs["chart-aggregators"]["labels"] == ["Yayasan Kampung Sehat"]
    regions = page.locator('table[data-table="regions"] tbody tr[data-region]')
    expect(regions).to_have_count(2)
    assert {row.get_attribute("data-region") for row in regions.all()} == {programme.utara.code, programme.timur.code}
    snap(page, "dashboard-01-all-regions")

    page.get_by_label("Regency/City", exact=True).select_option(label="Jakarta Timur")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(rf"[?&]kota={re.escape(programme.timur.code)}(&|$)"))
    expect(page.locator("[data-scope]")).to_have_attribute("data-scope", programme.timur.code)
    expect(regions).to_have_count(2)
    assert {row.get_attribute("data-region") for row in regions.all()} == programme.kecamatans
    expect(page.locator('[data-figure="need"]')).to_have_text("Rp 350 jt")  # Timur only: 200 jt + 150 jt
    expect(page.locator('canvas[data-chart][data-drawn="true"]')).to_have_count(len(CHARTS))
    status = check_chart_table(page, "chart-status")
    assert status["labels"] == [row.inner_text().strip() for row in regions.locator("th").all()]
    snap(page, "dashboard-02-jakarta-timur")

    page.set_viewport_size({"width": PHONE, "height": 800})
    page.reload()
    expect(page.locator('canvas[data-chart][data-drawn="true"]')).to_have_count(len(CHARTS))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    snap(page, "dashboard-03-phone")
    assert width <= PHONE + TOLERANCE, f"the page scrolls sideways at {PHONE} px: {width} px wide"

    assert page_log.console_errors == []
    assert page_log.csp_violations == []
    assert page_log.blocked == [], "the dashboard asked for something off 127.0.0.1"
