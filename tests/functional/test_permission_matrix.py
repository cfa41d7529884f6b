"""Every route × every role → the expected answer, and object-level checks across organisations.

The table below must name every endpoint the app serves: a new route without a row fails
`test_every_route_is_in_the_matrix`. GET rows give the exact status per role. POST rows send an empty form
(CSRF is off in tests): a refused role gets 401/403 (anonymous web users are sent to sign in), an allowed
one gets past the permission check — a redirect, or the form's own 400/409/422 — never 401/403.
"""
import io
from datetime import date

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.domain import Role
from app.extensions import db
from app.models import AssignmentRequest, Notification
from app.services import pledging, progress, spending, tokens

ROLES = ("anonymous", "collaborator", "other_collaborator", "aggregator", "other_aggregator", "government", "admin")
SIGN_IN = 302  # anonymous web users are sent to the sign-in page
ALLOWED = "allowed"  # a POST got past the permission check (redirect, or the form's own 400/409/422)
EVERYONE = dict.fromkeys(ROLES, 200)


def only(*allowed, refused=403, anonymous=SIGN_IN, ok=200):
    """Allowed roles get `ok`, the others `refused`, anonymous users `anonymous`."""
    return {role: ok if role in allowed else (anonymous if role == "anonymous" else refused) for role in ROLES}


STAFF = ("aggregator", "other_aggregator", "government", "admin")
GOV = ("government", "admin")
COLLABORATORS = ("collaborator", "other_collaborator")
SIGNED_IN = ROLES[1:]
OWN_PACKAGE = ("aggregator", "government", "admin")

# endpoint → (method, path built from the world, expected status per role)
MATRIX = {
    "main.index": ("GET", "/", EVERYONE),
    "main.healthz": ("GET", "/healthz", EVERYONE),
    "main.set_language": ("GET", "/lang/en", dict.fromkeys(ROLES, 302)),
    "catalogue.packages": ("GET", "/packages", EVERYONE),
    "catalogue.package": ("GET", "/packages/{package}", EVERYONE),
    "catalogue.package_map": ("GET", "/packages/{package}/map", EVERYONE),
    "catalogue.rw": ("GET", "/rws/{rw}", EVERYONE),
    "catalogue.rw_map": ("GET", "/rws/{rw}/map", EVERYONE),
    "catalogue.region": ("GET", "/regions/{kota}", EVERYONE),
    "maps.index": ("GET", "/map", EVERYONE),
    "maps.frame": ("GET", "/map/frame", EVERYONE),
    "maps.packages_geojson": ("GET", "/map/packages.geojson", EVERYONE),
    "maps.package_popup": ("GET", "/map/packages/{package}.json", EVERYONE),
    "maps.coverage_page": ("GET", "/map/coverage", only(*GOV)),
    "maps.coverage_frame": ("GET", "/map/coverage/frame", only(*GOV)),
    "maps.coverage_geojson": ("GET", "/map/coverage.geojson", only(*GOV)),
    "ledger.index": ("GET", "/ledger", EVERYONE),
    "ledger.download": ("GET", "/ledger.csv", EVERYONE),
    "exports.index": ("GET", "/data", EVERYONE),
    "exports.download_csv": ("GET", "/data/pledges.csv", EVERYONE),
    "exports.download_xlsx": ("GET", "/data/packages.xlsx", EVERYONE),
    "exports.download_geojson": ("GET", "/data/rws.geojson", EVERYONE),
    "monitoring.transparency": ("GET", "/transparency", EVERYONE),
    "monitoring.table_csv": ("GET", "/transparency/regions.csv", EVERYONE),
    "monitoring.index": ("GET", "/monitoring", only(*GOV)),
    "api.openapi_document": ("GET", "/api/v1/openapi.json", EVERYONE),
    "api.packages": ("GET", "/api/v1/packages", EVERYONE),
    "api.package": ("GET", "/api/v1/packages/{package}", EVERYONE),
    "api.packages_geojson": ("GET", "/api/v1/packages.geojson", EVERYONE),
    "api.rws_geojson": ("GET", "/api/v1/rws.geojson", EVERYONE),
    "api.rw": ("GET", "/api/v1/rws/{rw}", EVERYONE),
    "api.coverage": ("GET", "/api/v1/coverage?level=kota", EVERYONE),
    # The API authenticates by token, not by session: every browser session is "no token" there.
    "api.recommendations": ("GET", "/api/v1/recommendations", dict.fromkeys(ROLES, 401)),
    "api.plan": ("GET", "/api/v1/plan?budget=10000000", dict.fromkeys(ROLES, 401)),
    "api.create_pledge": ("POST", "/api/v1/packages/{package}/pledges", dict.fromkeys(ROLES, 401)),
    "auth.login": ("GET", "/auth/login", {role: 200 if role == "anonymous" else 302 for role in ROLES}),
    "auth.register": ("GET", "/auth/register", {role: 200 if role == "anonymous" else 302 for role in ROLES}),
    "auth.logout": ("POST", "/auth/logout", only(*SIGNED_IN, ok=ALLOWED)),
    "auth.profile": ("GET", "/auth/profile", only(*SIGNED_IN)),
    "auth.create_token": ("POST", "/auth/tokens", only(*SIGNED_IN, ok=ALLOWED)),
    "auth.revoke_token": ("POST", "/auth/tokens/{token}/revoke", only("collaborator", refused=404, ok=ALLOWED)),
    "notifications.index": ("GET", "/notifications/", only(*SIGNED_IN)),
    # Someone else's notification does not exist, as far as anyone else can tell.
    "notifications.open_notification": ("POST", "/notifications/{notification}/open",
                                        only("collaborator", refused=404, ok=ALLOWED)),
    "notifications.mark_read": ("POST", "/notifications/{notification}/read",
                                only("collaborator", refused=404, ok=ALLOWED)),
    "notifications.mark_all_read": ("POST", "/notifications/read-all", only(*SIGNED_IN, ok=ALLOWED)),
    "matching.preferences": ("GET", "/profile/preferences", only(*COLLABORATORS)),
    "matching.recommendations": ("GET", "/recommendations", only(*COLLABORATORS)),
    "matching.plan": ("GET", "/plan", only(*COLLABORATORS)),
    "matching.pledge_plan": ("POST", "/plan", only(*COLLABORATORS, ok=ALLOWED)),
    "pledges.pledge": ("GET", "/packages/{open_package}/pledge", only(*COLLABORATORS)),
    "pledges.mine": ("GET", "/pledges", only(*SIGNED_IN)),  # staff have none; the page is simply empty
    "pledges.receipt": ("GET", "/pledges/{pledge}", only("collaborator", *OWN_PACKAGE)),
    "pledges.cancel": ("POST", "/pledges/{open_pledge}/cancel", only("collaborator", ok=ALLOWED)),
    "pledges.package_pledges": ("GET", "/packages/{package}/pledges", only(*OWN_PACKAGE)),
    "pledges.receive": ("POST", "/pledges/{open_pledge}/receive", only(*OWN_PACKAGE, ok=ALLOWED)),
    "pledges.lapse": ("POST", "/pledges/{open_pledge}/lapse", only(*OWN_PACKAGE, ok=ALLOWED)),
    "progress.package_progress": ("GET", "/manage/packages/{package}/progress", only(*OWN_PACKAGE)),
    "progress.report_new": ("GET", "/manage/packages/{package}/reports/new", only("aggregator")),
    "progress.spending_new": ("GET", "/manage/packages/{package}/spending/new", only("aggregator")),
    "progress.start": ("POST", "/manage/packages/{funded_package}/start", only("aggregator", ok=ALLOWED)),
    "progress.review_queue": ("GET", "/manage/reports", only(*GOV)),
    "progress.report_detail": ("GET", "/manage/reports/{report}", {**only(*OWN_PACKAGE, refused=404),
                                                                    "anonymous": 404}),
    "progress.verify": ("POST", "/manage/reports/{report}/verify", {**only(*GOV, refused=404, ok=ALLOWED),
                                                                    "aggregator": 403, "anonymous": 404}),
    "progress.reject": ("POST", "/manage/reports/{report}/reject", {**only(*GOV, refused=404, ok=ALLOWED),
                                                                    "aggregator": 403, "anonymous": 404}),
    "progress.photo": ("GET", "/photos/{photo}/thumb", {**only(*OWN_PACKAGE, refused=404), "anonymous": 404}),
    "progress.receipt": ("GET", "/receipts/{expenditure}", {**only(*OWN_PACKAGE, refused=404), "anonymous": 404}),
    "manage.index": ("GET", "/manage/", only(*STAFF)),
    "manage.available": ("GET", "/manage/available", only("aggregator", "other_aggregator")),
    "manage.gap_list": ("GET", "/manage/gaps", only(*GOV)),
    "manage.gap_download": ("GET", "/manage/gaps.csv", only(*GOV)),
    "manage.package_list": ("GET", "/manage/packages", only(*GOV)),
    "manage.package_detail": ("GET", "/manage/packages/{package}", only(*OWN_PACKAGE)),
    "manage.package_assign": ("GET", "/manage/packages/{package}/assign", only(*GOV)),
    "manage.package_cancel": ("GET", "/manage/packages/{package}/cancel", only(*GOV)),
    "manage.package_edit": ("GET", "/manage/packages/{draft}/edit", only(*GOV)),
    "manage.package_publish": ("POST", "/manage/packages/{draft}/publish", only(*GOV, ok=ALLOWED)),
    "manage.package_request": ("GET", "/manage/packages/{open_package}/request", only("other_aggregator")),
    "manage.package_schedule": ("GET", "/manage/packages/{package}/schedule", only(*OWN_PACKAGE)),
    "manage.request_decide": ("POST", "/manage/requests/{request}/decide", only(*GOV, ok=ALLOWED)),
    "manage.rw_list": ("GET", "/manage/rws", only(*GOV)),
    "manage.rw_new": ("GET", "/manage/rws/new", only(*GOV)),
    "manage.rw_detail": ("GET", "/manage/rws/{rw}", only(*GOV)),
    "manage.rw_edit": ("GET", "/manage/rws/{rw}/edit", only(*GOV)),
    "manage.assessment_new": ("GET", "/manage/rws/{rw}/assessments/new", only(*GOV)),
    "manage.assessment_detail": ("GET", "/manage/assessments/{assessment}", only(*GOV)),
    "manage.package_new": ("GET", "/manage/rws/{rw}/packages/new", only(*GOV)),
    "manage.tier_list": ("GET", "/manage/tiers", only(*GOV)),
    "manage.tier_new": ("GET", "/manage/tiers/new", only(*GOV)),
    "manage.tier_edit": ("GET", "/manage/tiers/{tier}/edit", only(*GOV)),
    "admin.users": ("GET", "/admin/users", only("admin")),
    "admin.organisation_list": ("GET", "/admin/organisations", only("admin")),
    "admin.verify_organisation": ("POST", "/admin/organisations/{org}/verify", only("admin", ok=ALLOWED)),
}
NOT_ROUTES = {"static", "ledger.static"}


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 200)).save(buffer, "JPEG")
    buffer.seek(0)
    return FileStorage(buffer, "foto.jpg")


@pytest.fixture
def world(app, make):
    """Two aggregators, two collaborators, government, admin; packages in the states the routes need."""
    org, other_org = make.organisation("Yayasan Satu"), make.organisation("Yayasan Dua")
    kelurahan = make.region_tree("31.75")
    make.operating_in(other_org, make.kota_of(kelurahan))
    people = {"collaborator": make.user(Role.COLLABORATOR), "other_collaborator": make.user(Role.COLLABORATOR),
              "aggregator": make.user(Role.AGGREGATOR, organisation=org),
              "other_aggregator": make.user(Role.AGGREGATOR, organisation=other_org),
              "government": make.user(Role.GOVERNMENT), "admin": make.user(Role.ADMIN)}
    tier = make.tier()
    package = make.package(100_000_000, tier_=tier, aggregator=org, rw_=make.rw(kelurahan=kelurahan))
    pledge = pledging.create_pledge(package, people["collaborator"], 100_000_000)
    pledging.confirm_received(pledge, people["aggregator"])
    report = progress.post_report(package, people["aggregator"], {
        "report_date": progress.jakarta_today(), "body": "Mulai", "item_progress": {package.items[0].id: 10}},
        [_jpeg()], app.config["UPLOAD_FOLDER"] + "/photos", 10**7)
    expenditure = spending.post_expenditure(package, package.items[0], 1_000_000, date(2026, 1, 5), "Semen",
                                            people["aggregator"], _jpeg(), app.config["UPLOAD_FOLDER"] + "/receipts",
                                            10**7)
    funded = make.package(100_000_000, tier_=tier, aggregator=org, rw_=make.rw(kelurahan=kelurahan))
    pledging.create_pledge(funded, people["other_collaborator"], 100_000_000)
    open_package = make.package(200_000_000, tier_=tier, rw_=make.rw(kelurahan=kelurahan))
    open_pledge = pledging.create_pledge(open_package, people["collaborator"], 5_000_000)
    open_package.aggregator_id = org.id
    draft = make.package(150_000_000, tier_=tier, status="draft", rw_=make.rw(kelurahan=kelurahan))
    unassigned = make.package(150_000_000, tier_=tier, rw_=make.rw(kelurahan=kelurahan))
    request_ = AssignmentRequest(package_id=unassigned.id, organisation_id=other_org.id,
                                 requested_by_id=people["other_aggregator"].id)
    db.session.add(request_)
    _plain, token = tokens.create_token(people["collaborator"], "ERP")
    db.session.commit()
    notification = db.session.scalars(db.select(Notification).where(
        Notification.user_id == people["collaborator"].id)).first()
    ids = {"package": package.id, "rw": package.rw_id, "kota": make.kota_of(kelurahan).code, "pledge": pledge.id,
           "open_pledge": open_pledge.id, "open_package": unassigned.id, "funded_package": funded.id,
           "draft": draft.id, "report": report.id, "photo": report.photos[0].id, "expenditure": expenditure.id,
           "token": token.id, "notification": notification.id, "request": request_.id, "tier": tier.id,
           "org": other_org.id, "assessment": package.rw.assessments[0].id}
    return people, ids


def test_every_route_is_in_the_matrix(app):
    served = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    assert served - set(MATRIX) == set(), "add the new routes to MATRIX"
    assert set(MATRIX) - served == set(), "MATRIX names routes that no longer exist"


def _check(client, method, path, expected):
    """None when the answer is as expected, else a line saying what came instead."""
    response = client.open(path, method=method, data={})
    got = response.status_code
    if expected == ALLOWED:
        allowed = got not in (401, 403, 404) and got < 500 and "/auth/login" not in response.headers.get("Location", "")
    else:
        allowed = got == expected
    return None if allowed else f"{method} {path}: expected {expected}, got {got}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_matrix_says(client, login_as, world, role):
    people, ids = world
    if role != "anonymous":
        login_as(people[role])
    last = ("main.set_language", "auth.logout")  # they change or end the session the other rows need
    order = [name for name in sorted(MATRIX) if name not in last] + list(last)
    wrong = [_check(client, MATRIX[name][0], MATRIX[name][1].format(**ids), MATRIX[name][2][role]) for name in order]
    assert [line for line in wrong if line] == [], (role, [line for line in wrong if line])
