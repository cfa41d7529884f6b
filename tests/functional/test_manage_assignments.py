"""Assigning aggregators, aggregators' requests and schedules, and cancelling packages with pledges."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.domain import PackageStatus, PledgeStatus, Role
from app.extensions import db
from app.models import AssignmentRequest, AssignmentStatus, LedgerEntry, Package, Pledge
from app.services import ledger, packages, pledging


@pytest.fixture
def client(client):
    """The shared client, reading English so messages can be matched."""
    return client.use_language("en")


@pytest.fixture
def jakarta(make):
    """Two kota in one province, an RW in each, and an aggregator operating in the first kota only."""
    north, east = make.region_tree("31.99"), make.region_tree("31.98")
    organisation = make.organisation(name="Yayasan Kampung Bersih")
    make.operating_in(organisation, make.kota_of(north))
    return {"inside": make.rw(kelurahan=north), "outside": make.rw(kelurahan=east), "org": organisation,
            "province": north.parent.parent.parent}


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def entries(action):
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)).all()


def test_government_assigns_only_verified_aggregators_and_the_ledger_says_so(client, make, login_as):
    package = make.package()
    good, unverified = make.organisation(name="Rumah Zakat"), make.organisation(name="Belum", verified=False)
    company = make.organisation(name="PT Maju", kind="company")
    officer = make.user(Role.GOVERNMENT)
    login_as(officer)
    page = client.get(f"/manage/packages/{package.id}/assign").get_data(as_text=True)
    assert "Rumah Zakat" in page and "Belum" not in page and "PT Maju" not in page
    for organisation in (unverified, company):
        response = client.post(f"/manage/packages/{package.id}/assign", data={"organisation_id": organisation.id})
        assert response.status_code == 422 and "Not a valid choice." in response.get_data(as_text=True)
    assert fresh(Package, package.id).aggregator_id is None
    response = client.post(f"/manage/packages/{package.id}/assign",
                           data={"organisation_id": good.id, "reason": "Experienced in drainage"})
    assert response.status_code == 302
    assert fresh(Package, package.id).aggregator_id == good.id
    (entry,) = entries("package.assigned")
    assert (entry.before, entry.after, entry.actor_id, entry.reason) == (
        None, str(good.id), officer.id, "Experienced in drainage")
    other = make.organisation(name="Human Initiative")
    db.session.commit()
    client.post(f"/manage/packages/{package.id}/assign", data={"organisation_id": other.id})
    assert [(e.before, e.after) for e in entries("package.assigned")][-1] == (str(good.id), str(other.id))


def test_cancelling_needs_a_reason(client, make, login_as):
    package = make.package()
    login_as(make.user(Role.GOVERNMENT))
    response = client.post(f"/manage/packages/{package.id}/cancel", data={"reason": "  "})
    assert response.status_code == 422 and "This field is required." in response.get_data(as_text=True)
    response = client.post(f"/manage/packages/{package.id}/cancel", data={"reason": "r" * 1001})
    assert response.status_code == 422
    assert fresh(Package, package.id).status == PackageStatus.PUBLISHED


def test_cancelling_a_package_with_pledges_reconciles_the_money(client, make, login_as):
    package = make.package(estimate=100_000_000, aggregator=make.organisation())
    received = make.pledge(package, 60_000_000)
    open_pledge = make.pledge(package, 40_000_000)
    assert fresh(Package, package.id).status == PackageStatus.FUNDED
    pledging.confirm_received(received, make.user(Role.AGGREGATOR, organisation=package.aggregator))
    officer = make.user(Role.GOVERNMENT)
    login_as(officer)
    response = client.post(f"/manage/packages/{package.id}/cancel", data={"reason": "Lahan sengketa"})
    assert response.status_code == 302
    cancelled = fresh(Package, package.id)
    assert (cancelled.status, cancelled.cancel_reason) == (PackageStatus.CANCELLED, "Lahan sengketa")
    assert db.session.get(Pledge, open_pledge.id).status == PledgeStatus.CANCELLED
    assert db.session.get(Pledge, received.id).status == PledgeStatus.RECEIVED
    live = db.session.scalar(select(func.sum(Pledge.amount)).where(
        Pledge.package_id == package.id, Pledge.status != PledgeStatus.CANCELLED))
    assert cancelled.committed == live == 60_000_000
    assert ledger.package_totals_from_ledger(package.id)[package.id] == (
        cancelled.committed, cancelled.received, cancelled.spent)
    statuses = [(e.before, e.after, e.actor_id) for e in entries("package.status")][-2:]
    # one transaction: funded straight to cancelled, never reopened for pledges on the way
    assert statuses == [("published", "funded", open_pledge.collaborator_id), ("funded", "cancelled", officer.id)]
    assert entries("package.status")[-1].reason == "Lahan sengketa"
    again = client.post(f"/manage/packages/{package.id}/cancel", data={"reason": "Lagi"})
    assert again.status_code == 422 and "cannot be cancelled" in again.get_data(as_text=True)


def test_the_cancel_service_refuses_without_reason_and_touches_no_pledge(make, english):
    package = make.package(estimate=100_000_000)
    pledge = make.pledge(package, 10_000_000)
    with pytest.raises(ValueError, match="reason"):
        packages.cancel_package(package, "   ")
    assert fresh(Pledge, pledge.id).status == PledgeStatus.PLEDGED


def test_aggregator_sees_and_requests_unassigned_packages_in_its_regions(client, make, login_as, jakarta):
    inside = make.package(rw_=jakarta["inside"])
    outside = make.package(rw_=jakarta["outside"])
    assigned = make.package(rw_=jakarta["inside"], aggregator=make.organisation(name="Lain"))
    draft = make.package(rw_=jakarta["inside"], status="draft")
    staff = make.user(Role.AGGREGATOR, organisation=jakarta["org"])
    login_as(staff)
    page = client.get("/manage/").get_data(as_text=True)
    assert f"/manage/packages/{inside.id}/request" in page
    for other in (outside, assigned, draft):
        assert f"/packages/{other.id}/request" not in page
    assert client.get(f"/manage/packages/{outside.id}/request").status_code == 403
    assert client.post(f"/manage/packages/{assigned.id}/request", data={}).status_code == 403
    too_long = client.post(f"/manage/packages/{inside.id}/request", data={"note": "n" * 501})
    assert too_long.status_code == 422 and "n" * 501 in too_long.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AssignmentRequest.id))) == 0
    response = client.post(f"/manage/packages/{inside.id}/request", data={"note": "<i>Kami siap</i>"})
    assert response.status_code == 302
    request = db.session.scalar(select(AssignmentRequest))
    assert (request.organisation_id, request.requested_by_id, request.status) == (
        jakarta["org"].id, staff.id, AssignmentStatus.REQUESTED)
    again = client.post(f"/manage/packages/{inside.id}/request", data={"note": "lagi"})
    assert again.status_code == 422 and "already requested" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AssignmentRequest.id))) == 1
    assert "Requested" in client.get("/manage/available").get_data(as_text=True)
    client.post("/auth/logout")
    login_as(make.user(Role.GOVERNMENT))
    assert "&lt;i&gt;Kami siap&lt;/i&gt;" in client.get("/manage/").get_data(as_text=True)


def test_a_province_wide_aggregator_sees_every_kota_in_it(client, make, login_as, jakarta):
    make.operating_in(jakarta["org"], jakarta["province"])
    outside = make.package(rw_=jakarta["outside"])
    login_as(make.user(Role.AGGREGATOR, organisation=jakarta["org"]))
    assert f"/manage/packages/{outside.id}/request" in client.get("/manage/available").get_data(as_text=True)


def test_government_approves_a_request_and_the_others_are_closed(client, make, login_as, jakarta):
    package = make.package(rw_=jakarta["inside"])
    rival = make.organisation(name="Rival")
    make.operating_in(rival, make.kota_of(jakarta["inside"].kelurahan))
    for organisation in (jakarta["org"], rival):
        login_as(make.user(Role.AGGREGATOR, organisation=organisation))
        assert client.post(f"/manage/packages/{package.id}/request", data={"note": "siap"}).status_code == 302
        client.post("/auth/logout")
    officer = make.user(Role.GOVERNMENT)
    login_as(officer)
    page = client.get("/manage/").get_data(as_text=True)
    assert "Yayasan Kampung Bersih" in page and "Rival" in page
    first = db.session.scalar(select(AssignmentRequest).where(AssignmentRequest.organisation_id == jakarta["org"].id))
    assert client.post(f"/manage/requests/{first.id}/decide", data={"approve": "1"}).status_code == 302
    assert fresh(Package, package.id).aggregator_id == jakarta["org"].id
    decided = {r.organisation_id: (r.status, r.decided_by_id) for r in db.session.scalars(select(AssignmentRequest))}
    assert decided == {jakarta["org"].id: ("approved", officer.id), rival.id: ("rejected", officer.id)}
    (entry,) = entries("package.assigned")
    assert (entry.after, entry.actor_id) == (str(jakarta["org"].id), officer.id)
    response = client.post(f"/manage/requests/{first.id}/decide", data={"reject": "1"})
    assert response.status_code == 422 and "already been decided" in response.get_data(as_text=True)


def test_government_rejects_a_request_with_a_reason(client, make, login_as, jakarta):
    package = make.package(rw_=jakarta["inside"])
    request = AssignmentRequest(package_id=package.id, organisation_id=jakarta["org"].id)
    db.session.add(request)
    db.session.commit()
    login_as(make.user(Role.GOVERNMENT))
    response = client.post(f"/manage/requests/{request.id}/decide", data={"reject": "1", "reason": "Kapasitas"})
    assert response.status_code == 302
    rejected = fresh(AssignmentRequest, request.id)
    assert (rejected.status, rejected.reason) == (AssignmentStatus.REJECTED, "Kapasitas")
    assert fresh(Package, package.id).aggregator_id is None and not entries("package.assigned")
    assert client.post("/manage/requests/abc/decide", data={"approve": "1"}).status_code == 404


def test_aggregators_cannot_decide_requests(client, make, login_as, jakarta):
    request = AssignmentRequest(package_id=make.package(rw_=jakarta["inside"]).id, organisation_id=jakarta["org"].id)
    db.session.add(request)
    db.session.commit()
    login_as(make.user(Role.AGGREGATOR, organisation=jakarta["org"]))
    assert client.post(f"/manage/requests/{request.id}/decide", data={"approve": "1"}).status_code == 403
    assert fresh(AssignmentRequest, request.id).status == AssignmentStatus.REQUESTED


def test_one_open_request_per_package_and_organisation_in_the_database(make, jakarta):
    package = make.package(rw_=jakarta["inside"])
    db.session.add(AssignmentRequest(package_id=package.id, organisation_id=jakarta["org"].id,
                                     status=AssignmentStatus.REJECTED))
    db.session.add(AssignmentRequest(package_id=package.id, organisation_id=jakarta["org"].id))
    db.session.commit()
    db.session.add(AssignmentRequest(package_id=package.id, organisation_id=jakarta["org"].id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_aggregator_edits_the_schedule_of_its_own_packages_only(client, make, login_as, jakarta):
    own = make.package(rw_=jakarta["inside"], aggregator=jakarta["org"])
    foreign = make.package(rw_=jakarta["inside"], aggregator=make.organisation(name="Lain"))
    login_as(make.user(Role.AGGREGATOR, organisation=jakarta["org"]))
    data = {"planned_start": "2025-02-01", "planned_end": "2025-08-31", "description": "<b>Tahap 1</b>"}
    assert client.post(f"/manage/packages/{own.id}/schedule", data=data).status_code == 302
    saved = fresh(Package, own.id)
    assert (str(saved.planned_start), str(saved.planned_end), saved.description) == (
        "2025-02-01", "2025-08-31", "<b>Tahap 1</b>")
    assert "&lt;b&gt;Tahap 1&lt;/b&gt;" in client.get(f"/manage/packages/{own.id}").get_data(as_text=True)
    backwards = client.post(f"/manage/packages/{own.id}/schedule", data={**data, "planned_end": "2025-01-01"})
    assert backwards.status_code == 422
    assert "The planned end cannot be before the planned start." in backwards.get_data(as_text=True)
    assert 'value="2025-01-01"' in backwards.get_data(as_text=True)
    assert str(fresh(Package, own.id).planned_end) == "2025-08-31"
    for path in ("", "/schedule", "/edit", "/cancel", "/assign"):
        assert client.get(f"/manage/packages/{foreign.id}{path}").status_code == 403
    assert client.post(f"/manage/packages/{foreign.id}/schedule", data=data).status_code == 403
    assert client.post(f"/manage/packages/{own.id}/edit", data={"title": "x"}).status_code == 403
    assert client.post(f"/manage/packages/{own.id}/publish").status_code == 403
    assert fresh(Package, foreign.id).planned_start is None and fresh(Package, own.id).estimate == 200_000_000
