"""The public ledger page and its CSV: filters, pagination, anonymity, totals, bad input, query counts."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.domain import LEDGER_ACTION_LABELS, Role
from app.extensions import db
from app.models import LedgerEntry
from app.services import ledger, pledging, public_ledger
from tests.functional.test_catalogue import QueryCounter

HIDDEN = ("Budi Rahasia", "budi.rahasia@example.org", "Direktur Rahasia", "Staf Rahasia", "Pejabat Rahasia",
          "Rahasia Draft", "Surat Rahasia")
MONEY = ("committed_delta", "received_delta", "spent_delta")


@pytest.fixture
def client(client):
    return client.use_language("en")


@pytest.fixture
def book(make):
    """Two kotas, a draft, and every kind of entry: named, company and anonymous pledges, a receipt,
    a funding pledge and its cancellation (with a reason naming the anonymous pledger), spending."""
    north, east = make.region_tree("31.72"), make.region_tree("31.75")
    org = make.organisation("Yayasan Agregator Terbuka")
    staff = make.user(Role.AGGREGATOR, organisation=org, name="Staf Rahasia")
    government = make.user(Role.GOVERNMENT, name="Pejabat Rahasia")
    siti = make.user(Role.COLLABORATOR, name="Siti Terlihat")
    budi = make.user(Role.COLLABORATOR, name="Budi Rahasia", email="budi.rahasia@example.org")
    company = make.company_collaborator("PT Dermawan", name="Direktur Rahasia")
    sanitasi = make.package(100_000_000, aggregator=org, rw_=make.rw(kelurahan=north), actor=government)
    sanitasi.title = "Sanitasi Utara"
    jalan = make.package(200_000_000, rw_=make.rw(kelurahan=east), actor=government)
    jalan.title = "Jalan Timur"
    make.package(150_000_000, status="draft", rw_=make.rw(kelurahan=east)).title = "Rahasia Draft"
    db.session.commit()
    seen = pledging.create_pledge(sanitasi, siti, 30_000_000, message="Surat Rahasia")
    pledging.confirm_received(seen, staff, reference="TRF-1")
    pledging.create_pledge(jalan, company, 10_000_000)
    pledging.create_pledge(sanitasi, budi, 20_000_000, anonymous=True)
    closing = pledging.create_pledge(sanitasi, budi, 50_000_000, anonymous=True)  # funds the package
    pledging.cancel_pledge(closing, budi, reason="Budi Rahasia pindah kota")  # reopens it
    make.expenditure(sanitasi, 5_000_000, staff)
    return {"sanitasi": sanitasi, "jalan": jalan, "staff": staff}


def totals_of(html):
    return {name: int(re.sub(r"[^\d-]", "", value))
            for name, value in re.findall(r'data-total="(\w+)">([^<]+)<', html)}


def entry_ids(html):
    return [int(i) for i in re.findall(r'data-entry="(\d+)"', html)]


def read_csv(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_page_names_people_only_as_the_public_may_see_them(client, book):
    response = client.get("/ledger")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div class="table-responsive">' in html and 'href="/ledger"' in html  # and the nav link
    for name in HIDDEN:
        assert name not in html
    assert "Siti Terlihat" in html and "PT Dermawan" in html
    assert "by Yayasan Agregator Terbuka" in html  # the receipt names the organisation, not the staff
    assert html.count("<td>Anonymous") == 3  # two pledges and one cancellation
    assert "withheld (anonymous pledge)" in html
    assert "A collaborator" in html  # the funding and reopening caused by the anonymous pledger
    assert "Open for funding" in html and "Funded" in html and "Spending recorded" in html
    assert totals_of(html) == {"entries": 13, "committed": 60_000_000, "received": 30_000_000,
                               "spent": 5_000_000}


def test_csv_streams_the_same_rows_and_totals_without_hidden_names(client, book):
    page = totals_of(client.get("/ledger").get_data(as_text=True))
    response = client.get("/ledger.csv")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert re.fullmatch(r"attachment; filename=rukun-ledger-\d{8}\.csv", response.headers["Content-Disposition"])
    text = response.get_data(as_text=True)
    for name in HIDDEN:
        assert name not in text
    rows = read_csv(response)
    assert list(rows[0]) == list(public_ledger.CSV_COLUMNS)
    assert len(rows) == page["entries"]
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)  # oldest first
    sums = {column: sum(int(r[column]) for r in rows) for column in MONEY}
    assert sums == {"committed_delta": page["committed"], "received_delta": page["received"],
                    "spent_delta": page["spent"]}
    from_ledger = ledger.package_totals_from_ledger()
    visible = (book["sanitasi"].id, book["jalan"].id)
    assert sums["committed_delta"] == sum(from_ledger[p][0] for p in visible)
    cancelled = next(r for r in rows if r["action"] == "pledge.cancelled")
    assert (cancelled["who"], cancelled["reason"]) == ("Anonymous", "withheld (anonymous pledge)")
    assert cancelled["committed_delta"] == "-50000000"
    received = next(r for r in rows if r["action"] == "pledge.received")
    assert (received["who"], received["by"], received["before"], received["after"]) == (
        "Siti Terlihat", "Yayasan Agregator Terbuka", "Pledged", "Received")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=pledge.received", {"entries": 1, "committed": 0, "received": 30_000_000, "spent": 0}),
        ("kota=31.75", {"entries": 3, "committed": 10_000_000, "received": 0, "spent": 0}),
        ("actor=aggregator", {"entries": 2, "committed": 0, "received": 30_000_000, "spent": 5_000_000}),
        ("actor=government", {"entries": 4, "committed": 0, "received": 0, "spent": 0}),
        ("q=Siti", {"entries": 2, "committed": 30_000_000, "received": 30_000_000, "spent": 0}),
        ("q=dermawan", {"entries": 1, "committed": 10_000_000, "received": 0, "spent": 0}),
        ("q=Budi", {"entries": 0, "committed": 0, "received": 0, "spent": 0}),  # search cannot unmask
        ("q=Timur&action=pledge.created", {"entries": 1, "committed": 10_000_000, "received": 0, "spent": 0}),
    ],
)
def test_filters_on_the_page_and_in_the_csv(client, book, query, expected):
    html = client.get(f"/ledger?{query}").get_data(as_text=True)
    assert totals_of(html) == expected
    rows = read_csv(client.get(f"/ledger.csv?{query}"))
    assert len(rows) == expected["entries"] == len(entry_ids(html))
    assert sum(int(r["committed_delta"]) for r in rows) == expected["committed"]


def test_package_filter_matches_the_ledger_and_hides_drafts(client, book):
    sanitasi = book["sanitasi"]
    html = client.get(f"/ledger?package={sanitasi.id}").get_data(as_text=True)
    committed, received, spent = ledger.package_totals_from_ledger(sanitasi.id)[sanitasi.id]
    assert totals_of(html) == {"entries": 10, "committed": committed, "received": received, "spent": spent}
    draft_id = db.session.scalar(select(func.max(LedgerEntry.package_id)))
    assert totals_of(client.get(f"/ledger?package={draft_id}").get_data(as_text=True))["entries"] == 0


def test_dates_are_jakarta_calendar_days(client, book):
    package, staff = book["jalan"], book["staff"]
    for at in (datetime(2023, 6, 15, 16, 59), datetime(2023, 6, 15, 17, 0)):  # 23:59 and 00:00 WIB
        entry = ledger.record("package.status", package, actor=staff, package_id=package.id,
                              before="published", after="published", reason=f"Backdated {at:%H:%M}")
        entry.created_at = at
    db.session.commit()
    on_15th = client.get("/ledger?date_from=2023-06-15&date_to=2023-06-15").get_data(as_text=True)
    assert "Backdated 16:59" in on_15th and "Backdated 17:00" not in on_15th
    on_16th = client.get("/ledger?date_from=2023-06-16&date_to=2023-06-16").get_data(as_text=True)
    assert "Backdated 17:00" in on_16th and totals_of(on_16th)["entries"] == 1
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    assert totals_of(client.get(f"/ledger?date_from={today}").get_data(as_text=True))["entries"] == 13
    yesterday = today - timedelta(days=1)
    rows = read_csv(client.get(f"/ledger.csv?date_from=2023-01-01&date_to={yesterday}"))
    assert [r["reason"] for r in rows] == ["Backdated 16:59", "Backdated 17:00"]


def test_pagination_keeps_the_filters(client, book):
    first = client.get("/ledger?package={}&per_page=4".format(book["sanitasi"].id)).get_data(as_text=True)
    assert "Page 1 of 3" in first
    next_link = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert next_link == "/ledger?package={}&page=2&per_page=4".format(book["sanitasi"].id)
    second = client.get(next_link).get_data(as_text=True)
    third = client.get(next_link.replace("page=2", "page=3")).get_data(as_text=True)
    ids = entry_ids(first) + entry_ids(second) + entry_ids(third)
    assert len(ids) == 10 and ids == sorted(ids, reverse=True)  # newest first, none lost or repeated
    assert 'rel="prev"' in second and "Page 3 of 3" in third and 'rel="next"' not in third
    csv_link = re.search(r'href="(/ledger\.csv[^"]*)"', second).group(1).replace("&amp;", "&")
    assert csv_link == "/ledger.csv?package={}".format(book["sanitasi"].id)


@pytest.mark.parametrize(
    ("query", "field", "kept"),
    [
        ("package=abc", "package", 'name="package" value="abc"'),
        ("package=-3", "package", 'name="package" value="-3"'),
        ("date_from=2024-13-45", "date_from", 'name="date_from" value="2024-13-45"'),
        ("date_from=2024-05-02&date_to=2024-05-01", "date_to", 'name="date_to" value="2024-05-01"'),
        ("action=teleport", "action", None),
        ("actor=ghost", "actor", None),
        ("kota=31.72'--", "kota", None),
        ("q=" + "x" * 101, "q", 'name="q" value="' + "x" * 101 + '"'),
        ("page=zero", "page", None),
    ],
)
def test_bad_filters_are_named_kept_and_answered_with_400(client, make, query, field, kept):
    make.package(rw_=make.rw(kelurahan=make.region_tree("31.72")))  # two entries: created, published
    response = client.get(f"/ledger?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"<strong>{field}</strong>" in html and "were ignored" in html
    if kept:
        assert kept in html
    assert totals_of(html)["entries"] == 2  # the valid filters still apply, the bad one is dropped
    download = client.get(f"/ledger.csv?{query}")
    assert download.status_code == 400 and download.mimetype == "text/plain"
    assert download.get_data(as_text=True).startswith(f"{field}: ")


def test_messages_name_the_problem(app, english):
    _filters, errors = public_ledger.parse_filters(
        {"package": "abc", "date_from": "31/05/2024", "action": "teleport", "per_page": "5000"})
    assert {key: str(value) for key, value in errors.items()} == {
        "package": "Must be a whole number.",
        "date_from": "Use a date such as 2024-05-31.",
        "action": "Choose one of: " + ", ".join(LEDGER_ACTION_LABELS) + ".",
        "per_page": "Must be from 1 to 200.",
    }
    filters, errors = public_ledger.parse_filters({"package": " 12 ", "date_to": "2024-05-31", "actor": "system"})
    assert not errors
    assert (filters.package, filters.date_to, filters.actor) == (12, date(2024, 5, 31), "system")


def test_csv_batches_follow_the_keyset(app, book):
    filters = public_ledger.Filters()
    batches = list(public_ledger.batches(filters, batch_size=4))
    assert [len(batch) for batch in batches] == [4, 4, 4, 1]
    ids = [row.id for batch in batches for row in batch]
    assert ids == sorted(ids) and len(set(ids)) == 13
    chunks = list(public_ledger.csv_chunks(filters, batch_size=4))
    assert len(chunks) == 5 and chunks[0].startswith("id,created_at_utc,")


def fill_ledger(make, package, staff, people, entries):
    """Pledges from several collaborators (some anonymous, some received) until the public ledger
    holds exactly `entries` rows."""
    n = 0
    while (count := public_ledger.totals(public_ledger.Filters()).entries) < entries:
        pledge = pledging.create_pledge(package, people[n % len(people)], 1_000_000, anonymous=n % 3 == 0)
        if n % 2 and count + 1 < entries:
            pledging.confirm_received(pledge, staff)
        n += 1
    assert public_ledger.totals(public_ledger.Filters()).entries == entries


def test_query_count_does_not_grow_with_the_ledger(client, make):
    org = make.organisation("Yayasan Hitung")
    staff = make.user(Role.AGGREGATOR, organisation=org)
    people = [make.user(Role.COLLABORATOR) for _ in range(6)] + [make.company_collaborator("PT Hitung")]
    package = make.package(750_000_000, aggregator=org, rw_=make.rw(kelurahan=make.region_tree("31.73")))
    urls = ("/ledger", "/ledger?action=pledge.created&q=User&per_page=200&kota=31.73", "/ledger.csv")
    counts = {}
    for size in (5, 200):
        fill_ledger(make, package, staff, people, size)
        counts[size] = []
        for url in urls:
            with QueryCounter() as counter:
                response = client.get(url)
                response.get_data()
            assert response.status_code == 200
            counts[size].append(counter.count)
    print("queries for /ledger, a filtered /ledger and /ledger.csv at 5 and 200 entries:", counts)
    assert counts[5] == counts[200]
    assert max(counts[200]) <= 5
