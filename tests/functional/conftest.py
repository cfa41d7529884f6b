"""Data sets shared by the functional tests."""
import io
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator
from PIL import ExifTags, Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.domain import PackageStatus, Role
from app.extensions import db
from app.services import lifecycle, pledging
from app.services.packages import ItemInput, create_package


def rab(cost, aspect="drainase"):
    return [ItemInput(aspect, "Pekerjaan", Decimal(1), "ls", cost)]


@pytest.fixture
def world(make):
    """Two kotas; packages differing in tier, aspect, severity, funding and status."""
    north = make.region_tree("31.72")
    east = make.region_tree("31.75")
    collaborator = make.user(Role.COLLABORATOR)
    bersama = make.tier()
    specs = [
        ("Sanitasi Utara", north, 90.0, 300_000_000, "air_limbah", 250_000_000),
        ("Drainase Utara", north, 60.0, 500_000_000, "drainase", 0),
        ("Sanitasi Timur", east, 90.0, 200_000_000, "air_limbah", 20_000_000),
        ("Jalan Timur", east, 30.0, 150_000_000, "jalan", 150_000_000),
    ]
    packages = {}
    for title, kelurahan, share, cost, aspect, pledged in specs:
        package = create_package(make.rw(kelurahan=kelurahan, share=share), bersama, title, rab(cost, aspect))
        lifecycle.transition(package, "published")
        db.session.commit()
        if pledged:
            pledging.create_pledge(package, collaborator, pledged)
        packages[title] = package
    draft = create_package(make.rw(kelurahan=east), bersama, "Rahasia Draft", rab(120_000_000))
    db.session.commit()
    packages["draft"] = draft
    return packages


@pytest.fixture
def schema_of(client):
    """Validate a body against a named schema of the app's own OpenAPI document."""
    document = client.get("/api/v1/openapi.json").get_json()
    registry = Registry().with_resource("urn:rukun", Resource(contents=document, specification=DRAFT202012))

    def validate(body, name):
        schema = {"$ref": f"urn:rukun#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(body)
        return body

    return validate


def jpeg(width=1200, height=800, colour=(40, 120, 200), gps=None, extra=b""):
    """A JPEG with camera EXIF (make, model, date) and optionally a GPS point; `extra` is appended."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    exif[ExifTags.Base.Model] = "Model Rahasia 9"
    exif[ExifTags.Base.DateTime] = "2021:05:01 10:00:00"
    if gps:
        (lat, lat_ref), (lon, lon_ref) = gps
        exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: lat_ref, ExifTags.GPS.GPSLatitude: lat,
                                      ExifTags.GPS.GPSLongitudeRef: lon_ref, ExifTags.GPS.GPSLongitude: lon}
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue() + extra


@pytest.fixture
def english_pages(client):
    """Pages in English, as the assertions read them."""
    client.use_language("en")


KALIBARU = ((6.0, 6.0, 30.0), "S"), ((106.0, 55.0, 12.0), "E")


@pytest.fixture
def site(make):
    """A funded package with two work items (150 jt and 50 jt), managed by an aggregator, with a funder."""
    org = make.organisation("Yayasan Kampung Sehat")
    staff = make.user(Role.AGGREGATOR, organisation=org, name="Rina Staf")
    government = make.user(Role.GOVERNMENT, name="Budi Perkim")
    funder = make.user(Role.COLLABORATOR, name="Siti Donatur")
    items = [ItemInput("drainase", "Saluran U-ditch", Decimal(1), "ls", 150_000_000),
             ItemInput("jalan", "Paving blok", Decimal(1), "ls", 50_000_000)]
    package = create_package(make.rw(), make.tier(), "Drainase Kalibaru", items, aggregator=org)
    lifecycle.transition(package, PackageStatus.PUBLISHED)
    db.session.commit()
    pledge = pledging.create_pledge(package, funder, 200_000_000)
    pledging.confirm_received(pledge, staff, reference="TRF-1")
    db.session.commit()
    return type("Site", (), {"org": org, "staff": staff, "government": government, "funder": funder,
                             "package": package, "drain": package.items[0], "road": package.items[1]})
