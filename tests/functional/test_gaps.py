"""The government gap view: severe and moderate RWs with no package, only a draft, or stalled funding."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app.db_types import utcnow
from app.domain import Role
from app.extensions import db
from app.services import gaps, lifecycle, pledging
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables
from tests.functional.test_catalogue import QueryCounter

SEVERE, MODERATE, LIGHT = 80.0, 60.0, 30.0  # every criterion at this share scores 80, 48 and 16


@pytest.fixture
def client(client):
    return client.use_language("en")


@pytest.fixture
def government(make, login_as):
    """A signed-in government client."""
    return login_as(make.user(Role.GOVERNMENT))


def stamp(obj, **timestamps):
    """Backdate a package or pledge, so "how long without a pledge" is under the test's control."""
    for name, value in timestamps.items():
        setattr(obj, name, value)
    db.session.commit()
    return obj


def published(make, rw, days_ago, pledge_days_ago=None, amount=50_000_000):
    """A package published `days_ago`, with one pledge made `pledge_days_ago` (or none)."""
    now = utcnow()
    package = stamp(make.package(rw_=rw), published_at=now - timedelta(days=days_ago))
    if pledge_days_ago is not None:
        stamp(make.pledge(package, amount), created_at=now - timedelta(days=pledge_days_ago))
    return package


@pytest.fixture
def world(make):
    """Gap RWs of every kind and RWs that are not gaps, in two kotas; timestamps relative to now."""
    north, east = make.region_tree("31.72"), make.region_tree("31.75")
    rw = lambda households, share=SEVERE, kelurahan=north: make.rw(  # noqa: E731
        kelurahan=kelurahan, households=households, share=share)
    found = {
        "none": rw(100), "cancelled": rw(300), "draft": rw(500, MODERATE), "stalled": rw(200),
        "never_pledged": rw(50, MODERATE), "active": rw(999), "funded": rw(998), "light": rw(997, LIGHT),
        "fresh": rw(996), "draft_and_active": rw(995), "east": rw(900, kelurahan=east),
    }
    cancelled = make.package(rw_=found["cancelled"], status="draft")
    lifecycle.transition(cancelled, "cancelled", reason="Tidak jadi")
    db.session.commit()
    make.package(rw_=found["draft"], status="draft")
    found["stalled_package"] = published(make, found["stalled"], days_ago=60, pledge_days_ago=40)
    found["never_package"] = published(make, found["never_pledged"], days_ago=31)
    published(make, found["active"], days_ago=60, pledge_days_ago=5)
    make.pledge(make.package(rw_=found["funded"]), 200_000_000)
    published(make, found["fresh"], days_ago=10)
    make.package(rw_=found["draft_and_active"], status="draft")
    published(make, found["draft_and_active"], days_ago=90, pledge_days_ago=2)
    return found


def listed(response):
    """(kind, rw id) of each row on the page, in order."""
    return [(kind, int(rw)) for kind, rw in
            re.findall(r'<tr data-gap="(\w+)" data-rw="(\d+)"', response.get_data(as_text=True))]


def test_lists_each_kind_of_gap_ranked_by_need(government, world):
    response = government.get("/manage/gaps")
    assert response.status_code == 200
    assert listed(response) == [
        ("none", world["east"].id), ("none", world["cancelled"].id), ("stalled", world["stalled"].id),
        ("none", world["none"].id), ("draft", world["draft"].id), ("stalled", world["never_pledged"].id),
    ]
    body = response.get_data(as_text=True)
    assert '<strong data-total="all">6</strong>' in body
    assert "No package: 3" in body and "Draft only: 1" in body and "Funding stalled: 2" in body
    assert f'href="/manage/packages/{world["stalled_package"].id}"' in body
    assert "Rp 150.000.000" in body and "25 %" in body  # remaining and funded of the stalled package


def test_stalled_rows_carry_the_package_and_the_quiet_time(app, world):
    rows = {row.rw_id: row for row in gaps.page(gaps.Filters()).rows}
    stalled = rows[world["stalled"].id]
    assert (stalled.package_id, stalled.package_title, stalled.funded_pct, stalled.remaining, stalled.quiet_days) \
        == (world["stalled_package"].id, "Paket uji", 25, 150_000_000, 40)
    assert stalled.last_pledge_at is not None
    never = rows[world["never_pledged"].id]
    assert (never.last_pledge_at, never.quiet_days, never.funded_pct) == (None, 31, 0)
    plain = rows[world["none"].id]
    assert (plain.package_id, plain.kota, plain.kecamatan, plain.households, plain.population, plain.slum_score,
            plain.slum_level) == (None, "Kota Uji 31.72", "Kecamatan Uji 31.72", 100, 1000, 80, "berat")


NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("days_quiet", "days", "stalled"), [
    (30, 30, False),  # a pledge exactly N days old is "in the last N days"
    (31, 30, True),
    (31, 31, False),
    (1, 1, False),
    (365, 365, False),
    (366, 365, True),
])
def test_threshold_is_exclusive_of_the_nth_day(app, make, days_quiet, days, stalled):
    package = stamp(make.package(rw_=make.rw()), published_at=NOW - timedelta(days=400))
    stamp(make.pledge(package, 10_000_000), created_at=NOW - timedelta(days=days_quiet))
    rows = gaps.page(gaps.Filters(days=days), now=NOW).rows
    assert [(row.kind, row.quiet_days) for row in rows] == ([("stalled", days_quiet)] if stalled else [])


@pytest.mark.parametrize(("days_quiet", "stalled"), [(30, False), (31, True)])
def test_without_pledges_the_clock_starts_at_publication(app, make, days_quiet, stalled):
    stamp(make.package(rw_=make.rw()), published_at=NOW - timedelta(days=days_quiet))
    rows = gaps.page(gaps.Filters(), now=NOW).rows
    assert [row.kind for row in rows] == (["stalled"] if stalled else [])


def test_cancelled_pledges_do_not_count_and_reopened_packages_start_afresh(app, make):
    package = stamp(make.package(rw_=make.rw()), published_at=NOW - timedelta(days=90))
    stamp(make.pledge(package, 10_000_000), created_at=NOW - timedelta(days=60))
    collaborator = make.user(Role.COLLABORATOR)
    late = stamp(make.pledge(package, 10_000_000, collaborator), created_at=NOW - timedelta(days=1))
    pledging.cancel_pledge(late, collaborator, "Salah transfer")
    assert [(row.kind, row.quiet_days) for row in gaps.page(gaps.Filters(), now=NOW).rows] == [("stalled", 60)]

    reopened = make.package(rw_=make.rw())
    full = stamp(make.pledge(reopened, reopened.estimate, collaborator), created_at=NOW - timedelta(days=60))
    assert reopened.status == "funded"
    pledging.cancel_pledge(full, collaborator, "Batal")
    assert reopened.status == "published"
    stamp(reopened, published_at=NOW - timedelta(days=2))  # reopened two days before NOW
    assert reopened.id not in {row.package_id for row in gaps.page(gaps.Filters(), now=NOW).rows}


def test_two_stalled_packages_of_one_rw_are_two_rows(app, make):
    rw = make.rw()
    first = stamp(make.package(rw_=rw), published_at=NOW - timedelta(days=50))
    second = stamp(make.package(rw_=rw), published_at=NOW - timedelta(days=40))
    rows = gaps.page(gaps.Filters(), now=NOW).rows
    assert [(row.rw_id, row.package_id) for row in rows] == [(rw.id, first.id), (rw.id, second.id)]


@pytest.mark.parametrize(("query", "expected"), [
    ("kota=31.75", {"east"}),
    ("kota=31.72&kind=none", {"none", "cancelled"}),
    ("kind=draft", {"draft"}),
    ("kind=stalled", {"stalled", "never_pledged"}),
    ("kind=stalled&days=35", {"stalled"}),
    ("kind=stalled&days=45", set()),
    ("days=3", {"none", "cancelled", "draft", "stalled", "never_pledged", "fresh", "active", "east"}),
    ("kota=99.99", set()),
])
def test_filters(government, world, query, expected):
    response = government.get(f"/manage/gaps?{query}")
    assert response.status_code == 200
    assert {rw for _kind, rw in listed(response)} == {world[name].id for name in expected}


def test_bad_filters_answer_400_and_keep_the_input(government, world):
    response = government.get("/manage/gaps?days=0&kind=everything&kota=31%2072&page=x")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="filter-errors"' in body
    assert "Must be from 1 to 365." in body and "Not a region code." in body
    assert "Choose one of: none, draft, stalled." in body and "Must be a whole number." in body
    assert 'name="days" min="1" max="365" value="0"' in body
    assert len(listed(response)) == 6  # the bad values are ignored, the default view is shown
    assert government.get("/manage/gaps?days=366").status_code == 400
    assert government.get("/manage/gaps?days=%EF%BC%91").status_code == 400  # a full-width digit
    download = government.get("/manage/gaps.csv?days=abc")
    assert download.status_code == 400 and download.mimetype == "text/plain"
    assert "days: Must be a whole number." in download.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/manage/gaps", "/manage/gaps.csv"])
def test_only_government_and_admins_see_the_gaps(client, make, login_as, path):
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    for role in (Role.COLLABORATOR, Role.AGGREGATOR):
        login_as(make.user(role))
        assert client.get(path).status_code == 403
        client.post("/auth/logout")
    for role in (Role.GOVERNMENT, Role.ADMIN):
        login_as(make.user(role))
        assert client.get(path).status_code == 200
        client.post("/auth/logout")


def test_start_page_links_to_the_gaps(government):
    assert 'href="/manage/gaps"' in government.get("/manage/").get_data(as_text=True)


def read_csv(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_has_every_matching_row_in_need_order(government, world):
    response = government.get("/manage/gaps.csv?kota=31.72")
    assert response.mimetype == "text/csv"
    assert re.fullmatch(r"attachment; filename=rukun-gaps-\d{8}\.csv", response.headers["Content-Disposition"])
    rows = read_csv(response)
    assert [(row["gap_kind"], int(row["rw_id"])) for row in rows] == [
        ("none", world["cancelled"].id), ("stalled", world["stalled"].id), ("none", world["none"].id),
        ("draft", world["draft"].id), ("stalled", world["never_pledged"].id),
    ]
    stalled = rows[1]
    assert {key: stalled[key] for key in ("gap", "package_id", "package_title", "funded_pct", "remaining",
                                           "days_without_pledge", "slum_score", "slum_level", "households",
                                           "kota")} == {
        "gap": "Funding stalled", "package_id": str(world["stalled_package"].id), "package_title": "Paket uji",
        "funded_pct": "25", "remaining": "150000000", "days_without_pledge": "40", "slum_score": "80",
        "slum_level": "berat", "households": "200", "kota": "Kota Uji 31.72",
    }
    assert stalled["last_pledge_at_utc"].endswith("+00:00")
    assert rows[-1]["last_pledge_at_utc"] == "" and rows[-1]["days_without_pledge"] == "31"
    assert rows[0]["package_id"] == "" and rows[0]["gap"] == "No package"
    assert [row["gap_kind"] for row in read_csv(government.get("/manage/gaps.csv?kind=draft"))] == ["draft"]


def test_csv_escapes_formulas(government, make):
    rw = make.rw()
    stamp(rw, name="=HYPERLINK(\"http://evil\")")
    package = stamp(make.package(rw_=rw), published_at=utcnow() - timedelta(days=40), title="@SUM(1+1)")
    row, = read_csv(government.get("/manage/gaps.csv"))
    assert row["rw_name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["package_title"] == "'@SUM(1+1)" and row["package_id"] == str(package.id)


def test_csv_batches_walk_the_ranking_without_gaps_or_repeats(app, make):
    kelurahan = make.region_tree()
    for households in (100, 100, 100, 200, 200):
        make.rw(kelurahan=kelurahan, households=households)
    rw = make.rw(kelurahan=kelurahan, households=100)
    for _ in range(2):
        stamp(make.package(rw_=rw), published_at=NOW - timedelta(days=40))
    whole = list(gaps.csv_chunks(gaps.Filters(), now=NOW))
    assert len(whole) == 2  # the header, then one batch
    small = list(gaps.csv_chunks(gaps.Filters(), now=NOW, batch_size=2))
    assert "".join(small) == "".join(whole)
    assert len(small) == 1 + 4  # 7 rows in batches of 2
    assert len("".join(whole).splitlines()) == 1 + 7


def test_query_count_does_not_grow_with_the_data(client, make, login_as):
    urls = ["/manage/gaps", "/manage/gaps?kind=stalled&days=90&page=2", "/manage/gaps?kota=S00.00&kind=none",
            "/manage/gaps?days=0"]
    counts = {}
    for size in (10, 300):
        seed_synthetic(size)
        login_as(make.user(Role.GOVERNMENT))
        with QueryCounter() as counter:
            responses = [client.get(url) for url in urls]
        assert [response.status_code for response in responses] == [200, 200, 200, 400]
        counts[size] = counter.count
        if size == 300:
            assert len(listed(responses[0])) == gaps.PER_PAGE
            assert "?page=2" in responses[0].get_data(as_text=True)
        client.post("/auth/logout")
        wipe_tables()
    print("queries for the four gap pages at 10 and 300 RWs:", counts)
    assert counts[10] == counts[300]
    assert counts[300] <= 4 * 6
