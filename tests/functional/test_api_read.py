"""The read API: packages (filters, pagination), package and RW detail, the OpenAPI document, errors."""
import pytest
from jsonschema import Draft202012Validator

from app.domain import Role
from app.extensions import db
from app.services import lifecycle, pledging


def test_openapi_document_describes_every_read_endpoint(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert {"/packages", "/packages/{package_id}", "/rws/{rw_id}", "/openapi.json"} <= set(document["paths"])
    parameters = {p["name"] for p in document["paths"]["/packages"]["get"]["parameters"]}
    assert {"kota", "kecamatan", "tier", "status", "aspect", "severity", "q", "sort", "page", "per_page"} <= parameters
    Draft202012Validator.check_schema(document["components"]["schemas"]["Package"])


def test_severe_sanitation_in_a_kota_by_remaining_through_the_api(client, world, schema_of):
    body = client.get("/api/v1/packages?kota=31.72&severity=berat&aspect=air_limbah&sort=remaining").get_json()
    schema_of(body, "PackageList")
    assert [p["title"] for p in body["data"]] == ["Sanitasi Utara"]
    assert body["data"][0]["remaining"] == 50_000_000
    assert body["meta"] == {"page": 1, "per_page": 24, "total": 1, "pages": 1}


def test_pagination_links(client, world):
    first = client.get("/api/v1/packages?per_page=3&sort=remaining").get_json()
    assert first["meta"]["total"] == 4 and first["meta"]["pages"] == 2
    assert "prev" not in first["links"]
    second = client.get(first["links"]["next"]).get_json()
    assert len(second["data"]) == 1 and "next" not in second["links"]
    assert {p["id"] for p in first["data"]}.isdisjoint({p["id"] for p in second["data"]})


@pytest.mark.parametrize(
    ("query", "field"),
    [("sort=cheap", "sort"), ("page=0", "page"), ("page=x", "page"), ("per_page=101", "per_page"),
     ("color=red", "color"), ("tier=platinum", "tier"), ("funded_min=-1", "funded_min"), ("q=" + "x" * 101, "q"),
     ("kota=<script>", "kota")],
)
def test_invalid_parameters_are_422_with_the_field(client, world, query, field, schema_of):
    response = client.get(f"/api/v1/packages?{query}")
    assert response.status_code == 422
    body = schema_of(response.get_json(), "Error")
    assert field in body["error"]["fields"]


def test_package_detail_hides_anonymous_names(client, make, schema_of):
    package = make.package(estimate=100_000_000)
    pledging.create_pledge(package, make.user(Role.COLLABORATOR, name="Nama Rahasia"), 10_000_000, anonymous=True)
    pledging.create_pledge(package, make.user(Role.COLLABORATOR, name="Nama Terbuka"), 20_000_000)
    body = schema_of(client.get(f"/api/v1/packages/{package.id}").get_json(), "Package")
    assert (body["estimate"], body["committed"], body["remaining"]) == (100_000_000, 30_000_000, 70_000_000)
    assert {s["name"] for s in body["supporters"]} == {"Nama Terbuka", None}
    assert "Nama Rahasia" not in str(body)
    assert [h["to"] for h in body["history"]] == ["draft", "published"]
    assert body["work_items"][0]["subtotal"] == 100_000_000


def test_drafts_and_unknown_ids_are_404_json(client, make, schema_of):
    draft = make.package(status="draft")
    for url in (f"/api/v1/packages/{draft.id}", "/api/v1/packages/999999", "/api/v1/packages/abc", "/api/v1/rws/0"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.content_type == "application/json"
        schema_of(response.get_json(), "Error")


def test_rw_detail_has_history_and_public_packages(client, make, schema_of):
    package = make.package()
    hidden = make.package(status="draft", rw_=package.rw)
    lifecycle.transition(hidden, "cancelled", reason="Dobel")
    db.session.commit()
    body = schema_of(client.get(f"/api/v1/rws/{package.rw_id}").get_json(), "RWDetail")
    assert body["assessments"][0]["total_score"] == 80
    assert [p["id"] for p in body["packages"]] == [package.id]  # a draft cancelled unpublished stays private
    assert body["kelurahan"]["code"].endswith(".1001")


def test_api_reads_english_unless_asked_otherwise(client):
    english = client.get("/api/v1/packages?sort=x").get_json()
    assert english["error"]["fields"]["sort"].startswith("Choose one of")
    indonesian = client.get("/api/v1/packages?sort=x", headers={"Accept-Language": "id"}).get_json()
    assert not indonesian["error"]["fields"]["sort"].startswith("Choose one of")
