"""Data sets shared by the functional tests."""
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.domain import Role
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
