"""Government's coverage choropleth: permission, figures per kecamatan/kota for both measures, boundaries."""
import json
import re

import pytest

from app.domain import Role
from app.extensions import db
from app.services import coverage
from seeds.synthetic import seed_synthetic
from tests.conftest import wipe_tables
from tests.functional.test_maps import Statements, assert_csp_clean

SQUARE = {"type": "Polygon", "coordinates": [[[106.7, -6.3], [106.9, -6.3], [106.9, -6.1], [106.7, -6.1],
                                               [106.7, -6.3]]]}


@pytest.fixture
def client(client):
    return client.use_language("en")


@pytest.fixture
def government(make, login_as):
    return login_as(make.user(Role.GOVERNMENT))


def regions(client, level="kecamatan", measure="rws"):
    response = client.get(f"/map/coverage.geojson?level={level}&measure={measure}")
    assert response.status_code == 200
    return {f["properties"]["code"]: f for f in response.get_json(force=True)["features"]}


@pytest.mark.parametrize("url", ["/map/coverage", "/map/coverage/frame", "/map/coverage.geojson"])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.AGGREGATOR])
@pytest.mark.parametrize("url", ["/map/coverage", "/map/coverage/frame", "/map/coverage.geojson"])
def test_other_roles_are_refused(client, make, login_as, role, url):
    login_as(make.user(role))
    assert client.get(url).status_code == 403


def test_rws_measure_per_kecamatan(government, world):
    found = regions(government)
    # North: two RWs in the programme, none funded. East: two (the draft's RW is not in it), one funded.
    north, east = found["31.72.01"]["properties"], found["31.75.01"]["properties"]
    assert (north["value"], north["value_text"], east["value"]) == (0, "0 %", 50)
    rows = dict(east["rows"])
    assert (rows["RWs"], rows["RWs in the programme"], rows["RWs with a package funded"]) == ("3", "2", "1 (50 %)")
    assert rows["Severe RWs without funding"] == "2"  # the open package's RW and the draft's
    assert north["colour"] == coverage.colour(0) and east["colour"] == coverage.colour(50)
    assert north["colour"] != east["colour"]
    assert north["url"] == "/regions/31.72.01" and north["name"] == "Kecamatan Uji 31.72"
    assert set(found) == {"31.72.01", "31.75.01"}


def test_need_measure_per_kota(government, world):
    found = regions(government, "kota", "need")
    # North: 250 jt of 800 jt committed; East: 170 jt of 350 jt.
    assert found["31.72"]["properties"]["value"] == 31
    assert found["31.75"]["properties"]["value"] == 48
    assert dict(found["31.75"]["properties"]["rows"])["Committed"] == "Rp 170 jt (48 %)"


def test_regions_with_nothing_in_the_programme_are_grey_not_zero(government, world, make):
    make.rw(kelurahan=make.region_tree("31.73"))  # an assessed RW, no package yet
    feature = regions(government, "kota")["31.73"]["properties"]
    assert (feature["value"], feature["value_text"], feature["colour"]) == (None, "no RWs in the programme",
                                                                            coverage.NO_PROGRAMME_COLOUR)
    html = government.get("/map/coverage?level=kota").get_data(as_text=True)
    assert re.search(r"No RWs in the programme</span><span class=\"text-muted\">1 region<", html)
    assert re.findall(r'<tr data-code="([^"]+)">', html) == ["31.72", "31.75"]  # not among the lowest


def test_regions_without_a_boundary_are_circles_at_their_rws(government, world):
    feature = regions(government)["31.72.01"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [106.8, -6.2]}
    assert feature["properties"]["radius"] == pytest.approx(6 + 3 * 2 ** 0.5)


def test_regions_with_a_boundary_are_polygons(government, world):
    kecamatan = world["Sanitasi Utara"].rw.kecamatan
    kecamatan.boundary_geojson = json.dumps({"type": "Feature", "geometry": SQUARE, "properties": {}})
    db.session.commit()
    geometry = regions(government)["31.72.01"]["geometry"]
    assert geometry["type"] == "Polygon" and geometry["coordinates"][0][0] == [106.7, -6.3]
    assert regions(government)["31.75.01"]["geometry"]["type"] == "Point"


def test_coverage_geojson_revalidates_with_its_etag(government, world, make):
    first = government.get("/map/coverage.geojson?level=kota&measure=rws")
    assert "private" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = government.get("/map/coverage.geojson?level=kota&measure=rws", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = government.get("/map/coverage.geojson?level=kota&measure=need", headers={"If-None-Match": etag})
    assert other.status_code == 200
    make.pledge(world["Sanitasi Timur"], 180_000_000)  # funds it: East's RWs are now all funded
    changed = government.get("/map/coverage.geojson?level=kota&measure=rws", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert {f["properties"]["code"]: f["properties"]["value"] for f in changed.get_json(force=True)["features"]} \
        == {"31.72": 0, "31.75": 100}


def test_coverage_page_gives_the_figures_in_words(government, world):
    response = government.get("/map/coverage?level=kota&measure=need")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'src="/map/coverage/frame?level=kota&amp;measure=need"' in html
    assert re.search(r'data-figure="need">Rp 420 jt \(36 %\)', html)  # 420 of 1.15 M over both kotas
    assert re.search(r'data-figure="rws">1 \(25 %\)', html)
    lowest = re.findall(r'<tr data-code="([^"]+)">', html)
    assert lowest == ["31.72", "31.75"]  # lowest coverage first
    bins = re.findall(r"(\d+)–(\d+) %</span><span class=\"text-muted\">(\d+) regions?<", html)
    assert [count for *_range, count in bins] == ["0", "1", "1", "0", "0"]
    assert_csp_clean(response, inline_expected=False)


def test_coverage_frame_loads_the_geojson_and_shows_a_legend(government, world):
    response = government.get("/map/coverage/frame?level=kecamatan&measure=need")
    html = response.get_data(as_text=True)
    assert '"url": "/map/coverage.geojson?level=kecamatan\\u0026measure=need"' in html
    assert "RukunMap.legend(" in html and "0\\u201319 %" in html and "80\\u2013100 %" in html
    assert "d3.min.js" not in html  # branca's own legend (and its CDN script) is not used
    assert_csp_clean(response)


def test_unknown_level_or_measure_is_a_bad_request(government):
    assert government.get("/map/coverage?level=provinsi").status_code == 400
    assert government.get("/map/coverage.geojson?measure=households").status_code == 400


def test_map_page_links_government_to_coverage(government, world):
    assert 'href="/map/coverage"' in government.get("/map").get_data(as_text=True)


def test_coverage_query_count_does_not_grow_with_the_data(client, make, login_as):
    counts = {}
    for size in (20, 600):
        seed_synthetic(size)
        login_as(make.user(Role.GOVERNMENT))
        counts[size] = []
        for url in ("/map/coverage", "/map/coverage?level=kota&measure=need", "/map/coverage/frame",
                    "/map/coverage.geojson", "/map/coverage.geojson?level=kota&measure=need"):
            with Statements() as statements:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[size].append(statements.count)
        client.post("/auth/logout")
        wipe_tables()
    assert counts[20] == counts[600]
    assert max(counts[600]) <= 4, counts[600]
