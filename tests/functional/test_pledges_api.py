"""POST /api/v1/packages/<id>/pledges and personal API tokens."""
import pytest
from sqlalchemy import func, select

from app.domain import Role
from app.extensions import db
from app.models import ApiToken, Pledge
from app.services import tokens


@pytest.fixture
def api(make):
    collaborator = make.user(Role.COLLABORATOR)
    plain, _token = tokens.create_token(collaborator, "CSR portal")
    package = make.package(estimate=100_000_000)
    return {"user": collaborator, "token": plain, "package": package,
            "url": f"/api/v1/packages/{package.id}/pledges"}


def post(client, api, body, key="key-1", token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token or api['token']}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(api["url"], json=body, headers=headers, **kwargs)


def count():
    return db.session.scalar(select(func.count()).select_from(Pledge))


def test_created_and_replayed_with_the_same_key(client, api, schema_of):
    first = post(client, api, {"amount": 2_500_000, "anonymous": True, "message": "Untuk drainase"})
    assert first.status_code == 201
    body = schema_of(first.get_json(), "Pledge")
    assert (body["amount"], body["anonymous"], body["status"]) == (2_500_000, True, "pledged")
    assert body["package"]["remaining"] == 97_500_000
    assert first.headers["Location"] == f"/pledges/{body['id']}"
    again = post(client, api, {"amount": 2_500_000, "anonymous": True, "message": "Untuk drainase"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == body["id"]
    assert count() == 1


def test_same_key_different_body_is_refused(client, api):
    assert post(client, api, {"amount": 2_500_000}).status_code == 201
    response = post(client, api, {"amount": 3_000_000})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "amount"), ({"amount": 0}, "amount"), ({"amount": -5}, "amount"), ({"amount": 10**20}, "amount"),
     ({"amount": "1500000"}, "amount"), ({"amount": 1.5}, "amount"), ({"amount": 1500000.0}, "amount"),
     ({"amount": True}, "amount"), ({"amount": 1_000_000, "extra": 1}, "extra"),
     ({"amount": 1_000_000, "anonymous": "yes"}, "anonymous"), ({"amount": 1_000_000, "message": "x" * 501}, "message"),
     ({"amount": 1_000_000, "message": "Semoga\x00lancar"}, "message"),
     ({"amount": 1_000_000, "work_item_id": 2**63}, "work_item_id"),
     ({"amount": 1_000_000, "work_item_id": "3"}, "work_item_id"), ([1, 2], "body")],
)
def test_invalid_bodies_are_422_and_store_nothing(client, api, body, field):
    response = post(client, api, body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count() == 0


def test_missing_idempotency_key_and_wrong_content_type(client, api):
    response = post(client, api, {"amount": 1_000_000}, key=None)
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["error"]["fields"]
    response = client.post(api["url"], data="amount=1000000", headers={
        "Authorization": f"Bearer {api['token']}", "Idempotency-Key": "k", "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [({"amount": 100_000_001}, "remains"), ({"amount": 500_000}, "minimum pledge")],
)
def test_conflicts_are_409(client, api, body, message):
    response = client.post(api["url"], json=body, headers={"Authorization": f"Bearer {api['token']}",
                                                           "Idempotency-Key": "k", "Accept-Language": "en"})
    assert response.status_code == 409
    assert message in response.get_json()["error"]["message"]
    assert count() == 0


def test_closed_package_is_409_and_unknown_package_404(client, api, make):
    draft = make.package(status="draft")
    response = client.post(f"/api/v1/packages/{draft.id}/pledges", json={"amount": 1_000_000},
                           headers={"Authorization": f"Bearer {api['token']}", "Idempotency-Key": "k"})
    assert response.status_code == 409
    response = client.post("/api/v1/packages/999999/pledges", json={"amount": 1_000_000},
                           headers={"Authorization": f"Bearer {api['token']}", "Idempotency-Key": "k"})
    assert response.status_code == 404


@pytest.mark.parametrize("token", [None, "", "rkn_wrong", "Basic abc", "x" * 500])
def test_missing_or_bad_token_is_401(client, api, token):
    headers = {"Idempotency-Key": "k"}
    if token is not None:
        headers["Authorization"] = token if token.startswith("Basic") else f"Bearer {token}"
    response = client.post(api["url"], json={"amount": 1_000_000}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count() == 0


def test_revoked_token_is_401_and_other_roles_403(client, api, make):
    tokens.revoke(api["user"], db.session.scalar(select(ApiToken.id)))
    assert post(client, api, {"amount": 1_000_000}).status_code == 401
    government = make.user(Role.GOVERNMENT)
    plain, _ = tokens.create_token(government, "ops")
    assert post(client, api, {"amount": 1_000_000}, token=plain).status_code == 403
    assert count() == 0


def test_tokens_are_stored_hashed_and_managed_on_the_profile(client, login_as, make):
    user = make.user(Role.COLLABORATOR)
    login_as(user)
    page = client.post("/auth/tokens", data={"name": "Sistem CSR"}).get_data(as_text=True)
    plain = page.split("data-token>")[1].split("<")[0]
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert plain.startswith("rkn_") and stored.token_hash != plain and plain not in stored.token_hash
    assert tokens.user_for(plain).id == user.id
    assert plain not in client.get("/auth/profile").get_data(as_text=True)  # shown once only
    assert client.post("/auth/tokens", data={"name": ""}).status_code == 422
    assert client.post(f"/auth/tokens/{stored.id}/revoke").status_code == 302
    assert tokens.user_for(plain) is None
    assert client.post(f"/auth/tokens/{stored.id}/revoke").status_code == 404


def test_cli_creates_a_token(runner, make):
    user = make.user(Role.COLLABORATOR, email="csr@example.org")
    result = runner.invoke(args=["tokens", "create", "--email", "CSR@example.org", "--name", "portal"])
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1]
    assert tokens.user_for(plain).id == user.id
    missing = runner.invoke(args=["tokens", "create", "--email", "nobody@example.org", "--name", "x"])
    assert missing.exit_code != 0 and "No account" in missing.output
