"""The whole journey in a real browser, as people use it: a collaborator joins, states preferences, finds a
package in "For you" and funds it; the aggregator confirms the money and reports progress with a photo;
government verifies the report; the public sees the progress, the photo, the timeline, the map and the
transparency figures; the collaborator is told. Links and buttons are clicked and forms filled by their
labels, in English chosen from the language menu. A screenshot is left at every step."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.domain import PackageStatus, Role
from app.extensions import db
from app.models import Notification, User
from app.services import lifecycle
from app.services.packages import ItemInput, create_package
from app.services.progress import jakarta_today
from tests.browser.browsing import (
    camera_jpeg,
    dropped_requests_end,  # noqa: F401 (a fixture)
    navbar,
    sign_in,
    sign_out,
    snap,
    use_english,
)
from tests.browser.leaflet import assert_only_tiles_left, wait_for_drawing, wait_until
from tests.browser.test_public_map import DRAWN_PACKAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("dropped_requests_end")]

TITLE = "Saluran dan paving RW 07 Kalibaru"
COLLABORATOR = {"name": "Dewi Lestari", "email": "dewi@example.org", "password": "kopi tubruk pagi hari"}
TIMELINE = ["package.created", "package.status", "package.status", "pledge.received", "package.status",
            "report.verified"]  # created, published, funded, money received, in progress, report verified


@pytest.fixture
def programme(make):
    """Jakarta Utara › Cilincing › Kalibaru with a severe RW and its published Bersama package (a drain of
    150 jt and paving of 50 jt) managed by an aggregator with one staff member; a government officer."""
    kelurahan = make.region_tree("31.72")
    kelurahan.name, kelurahan.parent.name = "Kalibaru", "Cilincing"
    make.kota_of(kelurahan).name = "Kota Administrasi Jakarta Utara"
    org = make.organisation("Yayasan Kampung Sehat")
    staff = make.user(Role.AGGREGATOR, organisation=org, name="Rina Staf", email="rina@kampungsehat.org")
    government = make.user(Role.GOVERNMENT, name="Budi Perkim", email="budi@perkim.example.org")
    rw = make.rw(7, kelurahan=kelurahan, share=80.0)  # every criterion at 80 %: score 80, severe
    items = [ItemInput("drainase", "Saluran U-ditch", Decimal(1), "ls", 150_000_000),
             ItemInput("jalan", "Paving blok", Decimal(1), "ls", 50_000_000)]
    package = create_package(rw, make.tier(), TITLE, items, aggregator=org)
    lifecycle.transition(package, PackageStatus.PUBLISHED)
    db.session.commit()
    return type("Programme", (), {"package": package, "staff": staff, "government": government,
                                  "kota": make.kota_of(kelurahan).name})


def test_from_registration_to_verified_progress_in_public(page, page_log, tile_host, programme):
    package_id = programme.package.id
    page.goto("/")
    use_english(page)

    # 2. A collaborator joins, as a person, and is signed in.
    navbar(page).get_by_role("link", name="Join as collaborator").click()
    page.get_by_label("Your name").fill(COLLABORATOR["name"])
    page.get_by_label("E-mail").fill(COLLABORATOR["email"])
    page.get_by_label("A person").check()
    page.get_by_label("Password", exact=True).fill(COLLABORATOR["password"])
    page.get_by_label("Repeat the password").fill(COLLABORATOR["password"])
    snap(page, "journey-01-register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert").filter(has_text=f"Welcome to Rukun, {COLLABORATOR['name']}")).to_be_visible()
    expect(navbar(page).get_by_role("button", name=COLLABORATOR["name"])).to_be_visible()
    snap(page, "journey-02-signed-in")

    # 3. Preferences: a budget, an aspect the package works on, its kota.
    navbar(page).get_by_role("button", name=COLLABORATOR["name"]).click()
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("link", name="Matching preferences").click()
    expect(page).to_have_url(re.compile(r"/profile/preferences$"))
    page.get_by_label("Budget (Rp)").fill("250.000.000")
    page.get_by_label("Drainage", exact=True).check()
    page.get_by_label("Regions", exact=True).select_option(label=programme.kota)
    snap(page, "journey-03-preferences")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("alert").filter(has_text="Preferences saved")).to_be_visible()

    # 4. "For you": the package with its reasons; pledge it whole through the review step.
    navbar(page).get_by_role("link", name="For you").click()
    card = page.locator(f'[data-recommendation="{package_id}"]')
    expect(card).to_be_visible()
    reasons = card.locator("[data-reasons]")
    expect(reasons).to_contain_text("drainage match your focus")
    expect(reasons).to_contain_text("Rp 200 jt completes it")
    expect(reasons).to_contain_text("a region you chose")
    expect(card.locator('meter[data-part="fit"]')).to_have_attribute("value", "1.0")
    snap(page, "journey-04-for-you")
    card.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    page.get_by_role("link", name="Pledge to this package").click()
    remaining = page.locator('[data-figure="remaining"]').inner_text()
    assert remaining == "Rp 200.000.000"
    page.get_by_label("Amount (Rp)").fill(remaining.removeprefix("Rp "))  # typed as people write it
    page.get_by_label("Message to the neighbourhood").fill("Semoga lancar.")
    snap(page, "journey-05-pledge-form")
    page.get_by_role("button", name="Review pledge").click()
    expect(page.get_by_role("heading", name="Please check your pledge")).to_be_visible()
    expect(page.locator('[data-figure="amount"]')).to_have_text("Rp 200.000.000")
    snap(page, "journey-06-pledge-review")
    page.get_by_role("button", name="Confirm pledge").click()
    expect(page.get_by_role("alert").filter(has_text="Your pledge of Rp 200.000.000 is recorded")).to_be_visible()
    navbar(page).get_by_role("link", name="My pledges").click()
    mine = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE))
    expect(mine).to_contain_text("Rp 200.000.000")
    expect(mine).to_contain_text("Funded")  # the package's status: this pledge completed it
    expect(mine.locator(".badge.pledge-pledged")).to_be_visible()
    snap(page, "journey-07-my-pledges")
    sign_out(page, COLLABORATOR["name"])

    # 5. The aggregator confirms the money arrived.
    staff = programme.staff
    sign_in(page, staff.email, staff.name)
    navbar(page).get_by_role("link", name="Manage").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Public page").click()
    page.get_by_role("link", name="Pledges and receipts").click()
    pledge_row = page.get_by_role("row").filter(has_text=COLLABORATOR["name"])
    pledge_row.get_by_label("Transfer date").fill(jakarta_today().isoformat())
    pledge_row.get_by_label("Transfer reference").fill("BSI-0042-KLB")
    snap(page, "journey-08-confirm-receipt")
    pledge_row.get_by_role("button", name="Confirm receipt").click()
    expect(page.get_by_role("alert").filter(has_text="Receipt confirmed")).to_be_visible()
    expect(pledge_row.locator(".badge.pledge-received")).to_be_visible()
    expect(pledge_row).to_contain_text("BSI-0042-KLB")
    snap(page, "journey-09-received")

    # 6. Funded by that pledge: a progress report per work item, with a photo that keeps its GPS point.
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator(".badge.status")).to_have_class(re.compile(r"\bstatus-funded\b"))
    page.get_by_role("link", name="Progress and spending").click()
    page.get_by_role("link", name="New progress report").click()
    page.get_by_label("Work done").fill("Saluran U-ditch terpasang 40 %, paving gang 3 dimulai.")
    page.get_by_label("Saluran U-ditch").fill("40")
    page.get_by_label("Paving blok").fill("20")
    page.get_by_label("Photos", exact=True).set_input_files(files=[{
        "name": "saluran.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg(-6.108333, 106.92)}])
    page.get_by_label("What the photos show").fill("Saluran baru di gang 3")
    page.get_by_label("GPS location").check()
    snap(page, "journey-10-report-form")
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_role("alert").filter(has_text="Government will verify it")).to_be_visible()
    expect(page.locator("[data-report-status]")).to_have_attribute("data-report-status", "submitted")
    snap(page, "journey-11-report-submitted")
    sign_out(page, staff.name)

    # 7. Government verifies the report.
    government = programme.government
    sign_in(page, government.email, government.name)
    navbar(page).get_by_role("link", name="Manage").click()
    page.get_by_role("link", name=re.compile("Reports to verify")).click()
    expect(page.locator('[data-figure="pending"]')).to_have_text("1")
    page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name="Review").click()
    expect(page.get_by_role("cell", name="40 %")).to_be_visible()
    expect(page.get_by_role("img", name="Saluran baru di gang 3")).to_be_visible()
    snap(page, "journey-12-review")
    page.get_by_role("button", name="Verify report").click()
    expect(page.get_by_role("alert").filter(has_text="Report verified")).to_be_visible()
    expect(page.get_by_text("No reports are waiting.")).to_be_visible()
    sign_out(page, government.name)

    # 8. The public: progress, photo and timeline on the package page; the map; the transparency figures.
    navbar(page).get_by_role("link", name="Packages").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator('[data-figure="progress"]')).to_have_text("35 %")  # (40 % of 150 jt + 20 % of 50 jt) / 200 jt
    report = page.locator("article").filter(has_text="paving gang 3 dimulai")
    expect(report).to_contain_text("Saluran U-ditch: 40 %")
    expect(report).to_contain_text("located")
    photo = report.get_by_role("img", name="Saluran baru di gang 3")
    photo.scroll_into_view_if_needed()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("(img) => img.naturalWidth") > 0
    actions = page.locator(".timeline [data-action]")
    expect(actions).to_have_count(len(TIMELINE))
    assert [item.get_attribute("data-action") for item in actions.all()] == TIMELINE
    snap(page, "journey-13-public-package")

    navbar(page).get_by_role("link", name="Map").click()
    frame_element = page.locator("iframe.map-frame")
    expect(frame_element).to_have_attribute("title", "Map of 1 packages")
    frame = frame_element.element_handle().content_frame()
    wait_for_drawing(frame)
    assert wait_until(frame, f"() => ({DRAWN_PACKAGES})() === 1")
    snap(page, "journey-14-map")

    navbar(page).get_by_role("link", name="Transparency").click()
    figures = {"in-programme": "1", "rws-funded": "1", "households-reached": "250", "need": "Rp 200 jt",
               "committed": "Rp 200 jt", "received": "Rp 200 jt", "progress": "35 %"}
    for key, value in figures.items():
        expect(page.locator(f'[data-figure="{key}"]')).to_have_text(value)
    expect(page.locator('canvas[data-chart][data-drawn="true"]')).to_have_count(4)
    snap(page, "journey-15-transparency")

    # The collaborator was told about the verified report.
    sign_in(page, COLLABORATOR["email"], COLLABORATOR["name"], COLLABORATOR["password"])
    navbar(page).get_by_role("link", name="Notifications").click()
    told = page.locator(".notifications li").filter(has_text="35 %")
    expect(told).to_have_count(1)
    expect(told).to_contain_text(TITLE)
    snap(page, "journey-16-notifications")
    collaborator = db.session.scalar(select(User).where(User.email == COLLABORATOR["email"]))
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == collaborator.id)).all()
    assert {"pledge_received", "package_funded", "package_in_progress", "report_verified"} <= set(kinds)

    assert_only_tiles_left(page_log, tile_host)
