"""The package and RW maps: boundary or point, photos of verified reports only, nearby packages."""
import itertools
import json
import re
from datetime import date

import pytest

from app.domain import ReportStatus
from app.extensions import db
from app.models import ProgressPhoto, ProgressReport
from app.services import lifecycle
from tests.functional.test_maps import assert_csp_clean

SQUARE = {"type": "Polygon", "coordinates": [[[106.8012, -6.2013], [106.8034, -6.2013], [106.8034, -6.1991],
                                               [106.8012, -6.1991], [106.8012, -6.2013]]]}
_names = itertools.count(1)


@pytest.fixture
def client(client):
    return client.use_language("en")


def photo(package, status, lat=-6.2005, lon=106.8021, caption=None):
    """A photo on a report of `status` (rows written directly: the upload path is tested elsewhere)."""
    report = ProgressReport(package_id=package.id, report_date=date(2024, 5, 1), body="Laporan", status=status)
    n = next(_names)
    item = ProgressPhoto(report=report, filename=f"p{n}.jpg", thumbnail_filename=f"p{n}-t.jpg", width=800,
                         height=600, size_bytes=1000, caption=caption or f"Foto {status} {n}", lat=lat, lon=lon)
    db.session.add_all([report, item])
    db.session.commit()
    return item


def place_at(make, lat, lon, title="Paket tetangga", status="published", kelurahan=None):
    package = make.package(status=status, rw_=make.rw(kelurahan=kelurahan))
    package.rw.lat, package.rw.lon = lat, lon
    package.title = title
    db.session.commit()
    return package


def calls(html, function):
    """The JSON options of every RukunMap.<function>(map, {...}, options) call in a frame."""
    return [json.loads(options) for options in re.findall(rf"RukunMap\.{function}\([^,]+, \{{[^}}]*\}}, (.*)\);", html)]


def test_package_map_draws_the_boundary_when_known(client, make):
    package = make.package()
    package.rw.boundary_geojson = json.dumps(SQUARE)
    db.session.commit()
    response = client.get(f"/packages/{package.id}/map")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "L.geoJson(" in html and "106.8034" in html
    assert "L.circleMarker(" not in html
    assert calls(html, "label")[0]["text"] == f"RW {package.rw.number:02d} Kelurahan Uji 31.99"
    assert_csp_clean(response)


def test_package_map_falls_back_to_the_rws_point(client, make):
    package = make.package()
    html = client.get(f"/packages/{package.id}/map").get_data(as_text=True)
    assert "L.geoJson(" not in html
    assert re.search(r"L\.circleMarker\(\s*\[-6\.2, 106\.8\]", html)


def test_package_map_shows_only_geotagged_photos_of_verified_reports(client, make, app):
    package = make.package()
    verified = photo(package, ReportStatus.VERIFIED, caption="Saluran selesai dicor")
    photo(package, ReportStatus.SUBMITTED)
    photo(package, ReportStatus.REJECTED)
    photo(package, ReportStatus.VERIFIED, lat=None, lon=None)
    photo(make.package(), ReportStatus.VERIFIED, caption="Foto paket lain")
    html = client.get(f"/packages/{package.id}/map").get_data(as_text=True)
    shown = calls(html, "photos")[0]["photos"]
    with app.test_request_context():
        from flask import url_for
        thumb = url_for("progress.photo", photo_id=verified.id, variant="thumb")
    assert shown == [{"lat": -6.2005, "lon": 106.8021, "caption": "Saluran selesai dicor", "thumb": thumb,
                      "full": thumb.replace("/thumb", "/full")}]
    assert "Progress photos" in html and "Progress photo (verified report)" in html


def test_map_without_photos_has_no_photo_layer(client, make):
    package = make.package()
    photo(package, ReportStatus.SUBMITTED)
    html = client.get(f"/packages/{package.id}/map").get_data(as_text=True)
    assert calls(html, "photos") == [] and "Progress photos" not in html


def test_package_map_shows_the_nearest_other_public_packages(client, make):
    package = make.package()  # at -6.2, 106.8
    near = [place_at(make, -6.2 + 0.002 * i, 106.8, title=f"Dekat {i}") for i in range(1, 8)]
    place_at(make, -6.3, 106.8, title="Jauh")  # ~11 km away
    place_at(make, -6.2001, 106.8, title="Draft tetangga", status="draft")
    cancelled = place_at(make, -6.2002, 106.8, title="Batal tetangga")
    lifecycle.transition(cancelled, "cancelled", reason="Relokasi")
    db.session.commit()
    html = client.get(f"/packages/{package.id}/map").get_data(as_text=True)
    places = calls(html, "places")[0]["places"]
    assert [p["title"] for p in places] == [f"Dekat {i}" for i in range(1, 7)]  # the six nearest, in order
    assert places[0]["url"] == f"/packages/{near[0].id}"
    assert places[0]["place"] == f"RW {near[0].rw.number:02d} Kelurahan Uji 31.99"
    assert dict(places[0]["rows"]) == {"Status": "Open for funding", "Funded": "0 %", "Estimate": "Rp 200 jt"}
    assert "Nearby packages" in html and "L.control.layers(" in html


def test_rw_map_shows_its_packages_photos_and_other_rws_packages(client, make):
    package = make.package()
    sibling = make.package(rw_=package.rw)
    photo(sibling, ReportStatus.VERIFIED, caption="Foto RW")
    neighbour = place_at(make, -6.201, 106.8, title="RW sebelah")
    html = client.get(f"/rws/{package.rw.id}/map").get_data(as_text=True)
    assert [p["caption"] for p in calls(html, "photos")[0]["photos"]] == ["Foto RW"]
    assert [p["title"] for p in calls(html, "places")[0]["places"]] == ["RW sebelah"]
    assert neighbour.id != sibling.id


def test_map_of_a_draft_package_is_not_public(client, make):
    draft = make.package(status="draft")
    assert client.get(f"/packages/{draft.id}/map").status_code == 404
    assert client.get("/rws/999999/map").status_code == 404


def test_user_text_in_place_maps_cannot_break_out_of_the_script(client, make):
    package = make.package()
    place_at(make, -6.2005, 106.8, title="</script><script>alert(1)</script>")
    photo(package, ReportStatus.VERIFIED, caption="<img src=x onerror=alert(2)>")
    html = client.get(f"/packages/{package.id}/map").get_data(as_text=True)
    assert "</script><script>alert(1)" not in html and "<img src=x" not in html
    assert calls(html, "places")[0]["places"][0]["title"] == "</script><script>alert(1)</script>"
