"""The public map: page, frame, GeoJSON endpoint (visibility, filters, properties, ETag, gzip) and popups."""
import gzip
import re

import pytest
from sqlalchemy import event, select

from app.domain import Role
from app.extensions import db
from app.models import Package
from app.services import lifecycle, pledging
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables


@pytest.fixture
def client(client):
    return client.use_language("en")


def features(client, query=""):
    response = client.get(f"/map/packages.geojson{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    return {feature["properties"]["id"]: feature for feature in body["features"]}


def external_assets(html):
    """src/href of every <script> and <link> that does not point at the app's own /static/."""
    urls = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", html)
    assert urls, "expected some asset links"
    return [url for url in urls if not url.startswith("/static/")]


def assert_csp_clean(response, inline_expected=True):
    """Every inline script/style carries the response's nonce, nothing loads from elsewhere, no style=""."""
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    inline = re.findall(r"<(?:script|style)\b(?![^>]*\bsrc=)[^>]*>", html)
    assert bool(inline) == inline_expected
    assert all(f'nonce="{nonce}"' in tag for tag in inline), inline
    assert external_assets(html) == []
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


def test_map_page_lists_filters_counts_and_frames_the_map(client, world):
    response = client.get("/map?kota=31.72")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-total="2"' in html
    counts = dict(re.findall(r'data-category="(\w+)">.*?<span class="text-muted">(\d+)</span>', html, re.S))
    assert counts == {"open": "1", "open_half": "1", "funded": "0", "in_progress": "0", "completed": "0",
                      "cancelled": "0"}
    assert 'src="/map/frame?kota=31.72"' in html
    assert 'href="/packages?kota=31.72"' in html
    assert '<option value="31.72.01"' in html  # the chosen kota's kecamatan become choices
    assert_csp_clean(response, inline_expected=False)


def test_map_page_counts_every_visible_package_without_filters(client, world):
    html = client.get("/map").get_data(as_text=True)
    counts = dict(re.findall(r'data-category="(\w+)">.*?<span class="text-muted">(\d+)</span>', html, re.S))
    assert (counts["open"], counts["open_half"], counts["funded"]) == ("2", "1", "1")
    assert 'data-total="4"' in html  # the draft is not on the map


def test_map_page_names_bad_filters(client, world):
    response = client.get("/map?status=nonsense&funded_min=x")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<strong>status</strong>" in html and "<strong>funded_min</strong>" in html
    assert 'data-total="4"' in html  # the rest of the page still works


def test_nav_links_to_the_map(client):
    assert 'href="/map"' in client.get("/packages").get_data(as_text=True)


def test_frame_builds_layers_and_loads_data_from_the_endpoint(client, world, make):
    make.whole_tier()
    db.session.commit()
    response = client.get("/map/frame?tier=bersama&q=Sanitasi")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("L.markerClusterGroup(") == 3  # Bersama, Utama and the severity layer
    assert '"Tier Bersama"' in html and '"Tier Utama"' in html and '"Slum severity of the RW"' in html
    assert "L.control.layers(" in html
    assert '"url": "/map/packages.geojson?tier=bersama\\u0026q=Sanitasi"' in html
    assert '"popupUrl": "/map/packages/{id}.json"' in html
    assert "RukunMap.legend(" in html and "Open, under half funded" in html
    assert "L.marker(" not in html and "circleMarker" not in html  # no data inlined
    assert_csp_clean(response)


def test_frame_assets_are_served_by_the_app(client, world):
    html = client.get("/map/frame").get_data(as_text=True)
    for path in ("vendor/leaflet/leaflet.js", "vendor/leaflet.markercluster/leaflet.markercluster.js",
                 "vendor/leaflet.markercluster/MarkerCluster.Default.css", "js/map.js", "css/map.css"):
        assert f"/static/{path}" in html
        assert client.get(f"/static/{path}").status_code == 200, path


def test_geojson_holds_visible_packages_with_compact_properties(client, world, make):
    north = world["Sanitasi Utara"]
    north.rw.lat, north.rw.lon = -6.123456789, 106.987654321
    cancelled = make.package(estimate=150_000_000)
    lifecycle.transition(cancelled, "cancelled", reason="Lahan sengketa")
    db.session.commit()
    found = features(client)
    assert set(found) == {p.id for p in world.values() if p.status != "draft"} | {cancelled.id}
    feature = found[north.id]
    assert feature["geometry"] == {"type": "Point", "coordinates": [106.98765, -6.12346]}
    assert feature["properties"] == {"id": north.id, "c": "open_half", "t": "bersama", "f": 83, "v": "berat"}
    assert found[world["Sanitasi Timur"].id]["properties"]["c"] == "open"
    assert found[world["Sanitasi Timur"].id]["properties"]["f"] == 10
    assert found[world["Jalan Timur"].id]["properties"]["c"] == "funded"
    assert found[world["Jalan Timur"].id]["properties"]["v"] == "ringan"
    assert found[cancelled.id]["properties"]["c"] == "cancelled"


def test_geojson_applies_the_catalogue_filters(client, world, make):
    ids = lambda query: set(features(client, query))  # noqa: E731
    assert ids("?kota=31.75") == {world["Sanitasi Timur"].id, world["Jalan Timur"].id}
    assert ids("?aspect=air_limbah") == {world["Sanitasi Utara"].id, world["Sanitasi Timur"].id}
    assert ids("?status=funded") == {world["Jalan Timur"].id}
    assert ids("?q=Drainase") == {world["Drainase Utara"].id}
    assert ids("?severity=sedang") == {world["Drainase Utara"].id}
    assert ids("?funded_min=50") == {world["Sanitasi Utara"].id, world["Jalan Timur"].id}
    assert ids("?tier=utama") == set()
    assert ids("?kota=99.99") == set()
    response = client.get("/map/packages.geojson?status=draft-ish")
    assert response.status_code == 400 and "status" in response.get_json()["error"]["fields"]


def test_geojson_etag_answers_304_until_the_data_changes(client, world, make):
    first = client.get("/map/packages.geojson?kota=31.72")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert "Accept-Encoding" in first.headers["Vary"]
    again = client.get("/map/packages.geojson?kota=31.72", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other_filter = client.get("/map/packages.geojson?kota=31.75", headers={"If-None-Match": etag})
    assert other_filter.status_code == 200
    pledging.create_pledge(world["Drainase Utara"], make.user(Role.COLLABORATOR), 5_000_000)
    changed = client.get("/map/packages.geojson?kota=31.72", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert features(client, "?kota=31.72")[world["Drainase Utara"].id]["properties"]["f"] == 1


def test_geojson_etag_changes_when_a_package_moves_or_changes_status(client, world):
    etag = client.get("/map/packages.geojson").headers["ETag"]
    package = world["Drainase Utara"]
    package.rw.lat = -6.3
    db.session.commit()
    moved = client.get("/map/packages.geojson").headers["ETag"]
    assert moved != etag
    lifecycle.transition(package, "cancelled", reason="Relokasi")
    db.session.commit()
    assert client.get("/map/packages.geojson").headers["ETag"] not in (etag, moved)


def test_geojson_is_gzipped_for_clients_that_accept_it(client, world):
    plain = client.get("/map/packages.geojson")
    zipped = client.get("/map/packages.geojson", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # a different representation
    for etag in (plain.headers["ETag"], zipped.headers["ETag"]):
        revalidated = client.get("/map/packages.geojson", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert revalidated.status_code == 304


def test_popup_gives_a_packages_essentials(client, world):
    package = world["Sanitasi Utara"]
    body = client.get(f"/map/packages/{package.id}.json").get_json()
    assert body["title"] == "Sanitasi Utara" and body["url"] == f"/packages/{package.id}"
    assert body["place"] == (f"RW {package.rw.number:02d} Kelurahan Uji 31.72, Kecamatan Uji 31.72, "
                             "Kota Uji 31.72")
    assert dict(body["rows"]) == {"Tier": "Bersama", "Status": "Open for funding", "Estimate": "Rp 300.000.000",
                                  "Funded": "83 %", "Slum severity": "Severe slum (80/80)"}


def test_popup_of_a_draft_or_missing_package_is_not_found(client, world):
    assert client.get(f"/map/packages/{world['draft'].id}.json").status_code == 404
    assert client.get("/map/packages/999999.json").status_code == 404


def test_popup_escapes_nothing_into_html_because_it_is_json(client, world):
    package = world["Jalan Timur"]
    package.title = '<img src=x onerror="alert(1)">'
    db.session.commit()
    body = client.get(f"/map/packages/{package.id}.json")
    assert body.mimetype == "application/json"
    assert body.get_json()["title"] == '<img src=x onerror="alert(1)">'  # map.js writes it as text


class Statements:
    """Counts SQL statements sent while active."""

    def __enter__(self):
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def test_query_count_does_not_grow_with_the_data(client):
    urls = lambda package_id, rw_id: [  # noqa: E731
        "/map", "/map?kota=S00.00&tier=bersama&aspect=drainase", "/map/frame?kota=S00.00",
        "/map/packages.geojson", "/map/packages.geojson?kota=S00.00&status=published&q=Sintetis",
        f"/map/packages/{package_id}.json", f"/packages/{package_id}/map", f"/rws/{rw_id}/map",
    ]
    counts = {}
    for size in (20, 600):
        seed_synthetic(size)
        package_id, rw_id = db.session.execute(
            select(Package.id, Package.rw_id).where(Package.status == "published").order_by(Package.id).limit(1)
        ).one()
        db.session.remove()
        counts[size] = []
        for url in urls(package_id, rw_id):
            with Statements() as statements:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[size].append(statements.count)
        wipe_tables()
    assert counts[20] == counts[600]
    assert max(counts[600]) <= 6, counts[600]


def test_more_packages_give_the_same_page_size(client):
    """The frame holds no data: its size does not depend on how many packages there are."""
    sizes = []
    for size in (20, 600):
        seed_synthetic(size)
        db.session.remove()
        frame = client.get("/map/frame").get_data(as_text=True)
        sizes.append(len(re.sub(r"[0-9a-f]{32}", "", re.sub(r'nonce="[^"]+"', "", frame))))
        assert len(features(client)) > size * 0.9
        wipe_tables()
    assert sizes[0] == sizes[1]


def test_rendered_json_in_the_frame_cannot_close_the_script(client, make):
    tier = make.tier(code="x</script><script>alert(1)//", max_cost=750_000_000)
    tier.name = "</script><b>tier</b>"
    db.session.commit()
    make.package(tier_=tier)
    html = client.get("/map/frame").get_data(as_text=True)
    assert "</script><b>" not in html and "</script><script>alert" not in html
    assert '"tier:x\\u003c/script\\u003e\\u003cscript\\u003ealert(1)//"' in html  # the tier's layer key
    assert "\\u0026lt;/script\\u0026gt;\\u0026lt;b\\u0026gt;tier" in html  # its name, shown as text by Leaflet


def test_large_bodies_are_built_once_per_version(client, make, monkeypatch):
    from app.maps import web
    from app.services import map_data

    web.bodies.clear()
    seed_synthetic(300)  # ~45 KB of GeoJSON: worth keeping
    db.session.remove()
    first = client.get("/map/packages.geojson", headers={"Accept-Encoding": "gzip"})
    monkeypatch.setattr(map_data.Selection, "geojson", lambda self: pytest.fail("built again"))
    again = client.get("/map/packages.geojson", headers={"Accept-Encoding": "gzip"})
    assert again.status_code == 200 and again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    package = db.session.scalar(select(Package).where(Package.status == "published").limit(1))
    pledging.create_pledge(package, make.user(Role.COLLABORATOR), package.tier.min_pledge)
    monkeypatch.setattr(map_data.Selection, "geojson", lambda self: b'{"type":"FeatureCollection","features":[]}')
    changed = client.get("/map/packages.geojson")
    assert changed.get_json(force=True)["features"] == []  # a new version is built, not served from the cache
    web.bodies.clear()
