"""The OpenAPI document: valid OAS 3.1, covers every /api/v1 route of the app, and documents each operation's
parameters, bodies, every status with a schema (errors with the Error schema) and an example that fits it."""
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.extensions import db

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client, make):
    make.tier()
    make.whole_tier()
    db.session.commit()
    return client.get(f"{PREFIX}/openapi.json").get_json()


def routes(app):
    """{(OpenAPI path, method)} of the app's rules under /api/v1: `<int:package_id>` becomes `{package_id}`."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):])
        found |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return found


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)  # openapi-spec-validator picks the 3.1 schema from the version


def test_every_api_route_is_documented_and_nothing_else(app, document):
    documented = {(path, method) for path, method, _operation in operations(document)}
    assert routes(app), "no /api/v1 routes found: has the prefix changed?"
    assert routes(app) - documented == set(), "routes missing from app/api/openapi.py"
    assert documented - routes(app) == set(), "documented operations the app does not serve"


def test_the_route_check_notices_a_missing_operation(app, document):
    del document["paths"]["/coverage"]
    assert ("/coverage", "get") in routes(app) - {(p, m) for p, m, _o in operations(document)}


def test_every_operation_is_fully_described(document):
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId") and operation.get("summary"), where
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), where
        assert all({"schema", "description"} <= set(p) for p in operation.get("parameters", [])), where
        if method == "post":
            assert operation["requestBody"]["content"]["application/json"]["example"], where
        statuses = set(operation["responses"])
        assert "500" in statuses and any(s.startswith("2") for s in statuses), where
        if operation.get("security"):
            assert {"401", "403"} <= statuses, where
        for status, response in operation["responses"].items():
            if status == "304":
                assert "content" not in response, where
                continue
            (media_type, content), = response["content"].items()
            assert {"schema", "example"} <= set(content), (where, status)
            if status[0] in "45":
                assert media_type == "application/json" and content["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (where, status)


def test_every_example_fits_its_schema(document):
    registry = Registry().with_resource("urn:rukun", Resource(contents=document, specification=DRAFT202012))

    def check(schema, example, where):
        wrapped = {"$ref": schema["$ref"].replace("#", "urn:rukun#", 1)} if "$ref" in schema else \
            {"$id": "urn:rukun:inline", **schema}
        errors = list(Draft202012Validator(wrapped, registry=registry).iter_errors(example))
        assert not errors, (where, [error.message for error in errors[:3]])

    for path, method, operation in operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            check(body["schema"], body["example"], f"{method} {path} request")
        for status, response in operation["responses"].items():
            for content in response.get("content", {}).values():
                check(content["schema"], content["example"], f"{method} {path} {status}")


def test_tiers_are_listed_as_configured(document):
    tier = next(p for p in document["paths"]["/packages"]["get"]["parameters"] if p["name"] == "tier")
    assert tier["schema"]["enum"] == ["bersama", "utama"]


def test_documented_status_enum_matches_what_the_api_accepts(client, document):
    status = next(p for p in document["paths"]["/packages.geojson"]["get"]["parameters"] if p["name"] == "status")
    for value in status["schema"]["enum"]:
        assert client.get(f"{PREFIX}/packages.geojson?status={value}").status_code == 200, value
    assert client.get(f"{PREFIX}/packages.geojson?status=draft").status_code == 422
