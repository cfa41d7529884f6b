"""Inputs no route should ever see: ids beyond the database's integers, and NUL characters in text."""
import pytest


@pytest.mark.parametrize("url", ["/packages/99999999999999999999999", "/rws/2147483648",
                                 "/pledges/99999999999999999999", "/photos/99999999999999999999/thumb",
                                 "/api/v1/packages/99999999999999999999"])
def test_ids_too_large_for_the_database_are_not_found(client, make, url):
    make.package()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/packages?q=%00", "/ledger?q=a%00b", "/map/packages.geojson?q=%00",
                                 "/transparency?kota=%00", "/data/packages.csv?kota=31%00"])
def test_nul_characters_are_refused_before_any_query(client, make, url):
    make.package()
    assert client.get(url).status_code == 400


def test_nul_characters_in_forms_are_refused(client, login_as, make):
    login_as(make.user())
    assert client.post("/auth/tokens", data={"name": "ERP\x00"}).status_code == 400


def test_the_api_answers_nul_characters_in_its_own_error_shape(client):
    response = client.get("/api/v1/recommendations?aspect=%00")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"aspect": "Text may not contain NUL characters."}
