"""Pledging on the web: form, confirmation, double submit, my pledges, receipts, aggregator confirmation."""
import re

import pytest
from sqlalchemy import func, select

from app.domain import PledgeStatus, Role
from app.extensions import db
from app.models import LedgerEntry, Package, Pledge


@pytest.fixture
def client(client):
    return client.use_language("en")


@pytest.fixture
def setting(make):
    org = make.organisation()
    package = make.package(estimate=100_000_000, aggregator=org)
    return {"package": package, "org": org, "collaborator": make.user(Role.COLLABORATOR, name="Siti Kolaborator"),
            "aggregator": make.user(Role.AGGREGATOR, organisation=org)}


def pledges():
    return db.session.scalar(select(func.count()).select_from(Pledge))


def form_key(page):
    return re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page).group(1)


@pytest.mark.parametrize("typed", ["1500000", "1.500.000", "Rp 1.500.000"])
def test_review_then_confirm_records_one_pledge_even_when_clicked_twice(client, login_as, setting, typed):
    login_as(setting["collaborator"])
    url = f"/packages/{setting['package'].id}/pledge"
    key = form_key(client.get(url).get_data(as_text=True))
    data = {"amount": typed, "work_item_id": "0", "message": "Semoga bermanfaat", "idempotency_key": key}
    review = client.post(url, data={**data, "review": "1"})
    assert review.status_code == 200
    assert re.search(r'data-figure="amount">Rp 1\.500\.000<', review.get_data(as_text=True))
    assert pledges() == 0
    first = client.post(url, data={**data, "confirm": "1"})
    second = client.post(url, data={**data, "confirm": "1"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert pledges() == 1
    pledge = db.session.scalar(select(Pledge))
    assert (pledge.amount, pledge.message, pledge.status) == (1_500_000, "Semoga bermanfaat", PledgeStatus.PLEDGED)
    receipt = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Rp 1.500.000" in receipt and re.search(r"L-\d{8}", receipt)
    assert "Rp 1.500.000" in client.get("/pledges").get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "This field is required"), ("abc", "whole rupiah"), ("1,5", "whole rupiah"), ("-5", "whole rupiah"),
     ("0", "more than zero"), ("1" * 20, "within reason"), ("1500000.50", "whole rupiah")],
)
def test_bad_amounts_come_back_with_the_input_and_store_nothing(client, login_as, setting, typed, message):
    login_as(setting["collaborator"])
    url = f"/packages/{setting['package'].id}/pledge"
    response = client.post(url, data={"amount": typed, "work_item_id": "0", "idempotency_key": "k1", "confirm": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'value="{typed}"' in page or typed == ""
    assert pledges() == 0


def test_refused_pledge_explains_and_keeps_the_form(client, login_as, setting):
    login_as(setting["collaborator"])
    url = f"/packages/{setting['package'].id}/pledge"
    response = client.post(url, data={"amount": "100.000.001", "work_item_id": "0", "idempotency_key": "k2",
                                      "confirm": "1", "message": "<b>halo</b>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Only Rp 100.000.000 remains" in page
    assert "&lt;b&gt;halo&lt;/b&gt;" in page and "<b>halo</b>" not in page
    assert pledges() == 0


def test_only_collaborators_pledge_and_anonymous_visitors_are_sent_to_sign_in(client, login_as, setting, make):
    url = f"/packages/{setting['package'].id}/pledge"
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login_as(setting["aggregator"])
    assert client.get(url).status_code == 403


def test_whole_only_package_is_prefilled_with_the_full_amount(client, login_as, make):
    package = make.package(estimate=800_000_000, tier_=make.whole_tier())
    login_as(make.user(Role.COLLABORATOR))
    page = client.get(f"/packages/{package.id}/pledge").get_data(as_text=True)
    assert 'value="800000000"' in page and "adopted whole" in page


def test_collaborator_cancels_and_aggregator_confirms(client, login_as, setting, make):
    package = setting["package"]
    from app.services import pledging

    keep = pledging.create_pledge(package, setting["collaborator"], 60_000_000)
    drop = pledging.create_pledge(package, setting["collaborator"], 40_000_000)
    assert db.session.get(Package, package.id).status == "funded"
    login_as(setting["collaborator"])
    assert client.post(f"/pledges/{drop.id}/cancel", data={"reason": "Anggaran dialihkan"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Package, package.id).status == "published"
    client.post("/auth/logout")
    login_as(setting["aggregator"])
    page = client.get(f"/packages/{package.id}/pledges").get_data(as_text=True)
    assert "Siti Kolaborator" in page
    response = client.post(f"/pledges/{keep.id}/receive", data={"transfer_date": "2021-05-03", "reference": "TRF-77"})
    assert response.status_code == 302
    db.session.expire_all()
    received = db.session.get(Pledge, keep.id)
    assert (received.status, received.transfer_reference, str(received.transfer_date)) == (
        "received", "TRF-77", "2021-05-03")
    assert db.session.get(Package, package.id).received == 60_000_000
    actions = db.session.scalars(select(LedgerEntry.action).where(LedgerEntry.subject_id.in_([keep.id, drop.id]),
                                                                  LedgerEntry.subject_type == "pledges")).all()
    assert sorted(actions) == ["pledge.cancelled", "pledge.created", "pledge.created", "pledge.received"]


def test_aggregator_marks_a_lapsed_pledge(client, login_as, setting):
    from app.services import pledging

    pledge = pledging.create_pledge(setting["package"], setting["collaborator"], 5_000_000)
    login_as(setting["aggregator"])
    client.post(f"/pledges/{pledge.id}/lapse", data={"reason": "Tidak ada transfer 60 hari"})
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status == "cancelled"
    assert db.session.get(Package, setting["package"].id).committed == 0


def test_other_people_cannot_see_or_touch_a_pledge(client, login_as, setting, make):
    from app.services import pledging

    pledge = pledging.create_pledge(setting["package"], setting["collaborator"], 5_000_000)
    login_as(make.user(Role.COLLABORATOR))
    assert client.get(f"/pledges/{pledge.id}").status_code == 403
    assert client.post(f"/pledges/{pledge.id}/cancel").status_code == 403
    assert client.post(f"/pledges/{pledge.id}/receive", data={"transfer_date": "2021-01-01",
                                                              "reference": "x"}).status_code == 403
    client.post("/auth/logout")
    login_as(make.user(Role.AGGREGATOR))  # another organisation
    assert client.get(f"/packages/{setting['package'].id}/pledges").status_code == 403
    assert client.post(f"/pledges/{pledge.id}/receive", data={"transfer_date": "2021-01-01",
                                                              "reference": "x"}).status_code == 403
    assert db.session.get(Pledge, pledge.id).status == "pledged"
