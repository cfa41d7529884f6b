"""The public catalogue, package, RW and region pages."""
import re

import pytest
from sqlalchemy import event, select

from app.domain import Role
from app.extensions import db
from app.models import Package
from app.services import lifecycle, pledging
from app.services.packages import create_package
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables
from tests.functional.conftest import rab


@pytest.fixture
def client(client):
    return client.use_language("en")


class QueryCounter:
    """Counts SQL statements sent to the database while active."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def queries_for(client, url):
    with QueryCounter() as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


def test_query_count_does_not_grow_with_the_data(client):
    urls = lambda package_id: [  # noqa: E731
        "/packages", "/packages?kota=S00.00&severity=sedang&aspect=drainase&sort=remaining&page=2&per_page=5",
        "/packages?q=Sintetis&sort=funded", f"/packages/{package_id}", "/regions/S00.00", "/regions/S00",
        "/rws/1",
    ]
    counts = {}
    for size in (10, 1000):
        seed_synthetic(size)
        busiest = db.session.execute(
            select(Package.id).where(Package.status != "draft").order_by(Package.committed.desc()).limit(1)
        ).scalar_one()
        counts[size] = [queries_for(client, url) for url in urls(busiest)]
        wipe_tables()
    print("queries per page at 10 and 1000 packages:", counts)
    assert counts[10] == counts[1000]
    assert max(counts[1000]) <= 12


def titles(response):
    return re.findall(r'class="stretched-link" href="/packages/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_severe_sanitation_in_one_kota_sorted_by_remaining(client, world):
    response = client.get("/packages?kota=31.72&severity=berat&aspect=air_limbah&sort=remaining")
    assert titles(response) == ["Sanitasi Utara"]
    response = client.get("/packages?aspect=air_limbah&sort=remaining")
    assert titles(response) == ["Sanitasi Timur", "Sanitasi Utara"]  # 180 jt left before 50 jt


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kota=31.75", {"Sanitasi Timur", "Jalan Timur"}),
        ("severity=ringan", {"Jalan Timur"}),
        ("status=funded", {"Jalan Timur"}),
        ("funded_min=50", {"Sanitasi Utara", "Jalan Timur"}),
        ("funded_max=10", {"Drainase Utara", "Sanitasi Timur"}),
        ("q=drainase", {"Drainase Utara"}),
        ("q=Uji 31.75", {"Sanitasi Timur", "Jalan Timur"}),
        ("kecamatan=31.72.01", {"Sanitasi Utara", "Drainase Utara"}),
        ("tier=utama", set()),
    ],
)
def test_filters(client, world, query, expected):
    response = client.get(f"/packages?{query}")
    assert response.status_code == 200
    assert set(titles(response)) == expected


def test_sorting_by_funding_and_need(client, world):
    assert titles(client.get("/packages?sort=funded"))[:2] == ["Jalan Timur", "Sanitasi Utara"]
    assert titles(client.get("/packages?sort=need"))[-1] == "Jalan Timur"


def test_facet_counts_ignore_their_own_dimension(client, world):
    page = client.get("/packages?kota=31.72").get_data(as_text=True)
    kota_links = re.findall(r'href="/packages[^"]*"[^>]*>\s*<span>(?:<i[^>]*></i>)?\s*Kota Uji ([\d.]+)</span>\s*'
                            r'<span class="text-muted">(\d+)</span>', page)
    assert set(kota_links) == {("31.72", "2"), ("31.75", "2")}
    assert 'data-total="2"' in page


def test_pagination_keeps_the_filters(client, world):
    page = client.get("/packages?per_page=3&sort=remaining").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert 'href="/packages?sort=remaining&amp;page=2&amp;per_page=3"' in page
    second = client.get("/packages?per_page=3&sort=remaining&page=2")
    assert len(titles(second)) == 1


def test_drafts_are_for_government_only(client, world, make, login_as):
    assert "Rahasia Draft" not in titles(client.get("/packages"))
    assert client.get(f"/packages/{world['draft'].id}").status_code == 404
    login_as(make.user(Role.GOVERNMENT))
    assert "Rahasia Draft" in titles(client.get("/packages"))
    assert client.get(f"/packages/{world['draft'].id}").status_code == 200


@pytest.mark.parametrize(
    ("query", "name"),
    [("page=abc", "page"), ("sort=cheapest", "sort"), ("funded_min=101", "funded_min"), ("status=lost", "status"),
     ("kota=31.72'--", "kota"), ("q=" + "x" * 101, "q"), ("per_page=1000", "per_page"), ("aspect=roket", "aspect")],
)
def test_bad_parameters_are_named_and_ignored(client, world, query, name):
    response = client.get(f"/packages?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"<strong>{name}</strong>" in page
    assert 'data-total="4"' in page


def test_non_numeric_and_unknown_ids_are_404(client, world):
    for url in ("/packages/abc", "/packages/99999", "/rws/x", "/rws/99999", "/regions/99.99"):
        assert client.get(url).status_code == 404


def test_package_page_shows_rab_funding_and_hides_anonymous_names(client, make):
    rw = make.rw()
    package = create_package(rw, make.tier(), "<script>alert(1)</script> Paket", rab(100_000_000))
    lifecycle.transition(package, "published")
    db.session.commit()
    visible = make.user(Role.COLLABORATOR, name="Siti Terlihat")
    hidden = make.user(Role.COLLABORATOR, name="Budi Rahasia")
    pledging.create_pledge(package, visible, 30_000_000, message="Semoga <b>bermanfaat</b>")
    pledging.create_pledge(package, hidden, 20_000_000, anonymous=True, message="Salam dari Budi di gang 3")
    gone = pledging.create_pledge(package, make.user(Role.COLLABORATOR, name="Batal Saja"), 5_000_000)
    pledging.cancel_pledge(gone, gone.collaborator)
    page = client.get(f"/packages/{package.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Semoga &lt;b&gt;bermanfaat&lt;/b&gt;" in page
    assert "Siti Terlihat" in page and "Anonymous" in page
    assert "Budi Rahasia" not in page and "Batal Saja" not in page
    assert "Salam dari Budi" not in page  # an anonymous pledger's message may name them
    assert re.search(r'data-figure="committed">Rp 50\.000\.000<', page)
    assert re.search(r'data-figure="remaining">Rp 50\.000\.000<', page)
    assert "Open for funding" in page and "Draft" in page  # status history from the ledger


def test_map_is_offline_and_its_inline_code_carries_the_nonce(client, make):
    package = make.package()
    response = client.get(f"/packages/{package.id}/map")
    html = response.get_data(as_text=True)
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert not re.search(r'(src|href)="https?://', html)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)


def test_rw_and_region_pages_show_history_and_totals(client, world):
    package = world["Sanitasi Utara"]
    rw_page = client.get(f"/rws/{package.rw_id}").get_data(as_text=True)
    assert "Sanitasi Utara" in rw_page and "Baseline" in rw_page
    kota = client.get("/regions/31.72").get_data(as_text=True)
    assert re.search(r'data-figure="packages">2<', kota)
    assert re.search(r'data-figure="committed">Rp 250\.000\.000<', kota)
    assert "Kecamatan Uji 31.72" in kota
