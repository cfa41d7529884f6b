"""Sign-in, registration, token creation and refused API tokens are rate limited per client address:
in memory by default, in Redis when RATELIMIT_STORAGE_URI names one (CI sets TEST_REDIS_URL)."""
import os

import pytest

import config
from app import create_app
from app.extensions import db, limiter
from tests.factories import PASSWORD

REDIS = os.environ.get("TEST_REDIS_URL")


@pytest.fixture(params=["memory", "redis"])
def limited(request, app, tmp_path):
    """An app with rate limits on (tests turn them off), storage in memory or in Redis."""
    if request.param == "redis" and not REDIS:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it; a fresh machine has no Redis)")
    settings = config.TestingConfig(instance_path=tmp_path)
    settings.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_STORAGE_URI = REDIS if request.param == "redis" else "memory://"
    settings.LOGIN_RATE_LIMIT = "3 per minute"
    settings.TOKEN_RATE_LIMIT = "2 per minute"
    limited_app = create_app(settings)
    with limited_app.app_context():
        limiter.reset()  # counts from earlier tests (or runs, in Redis) must not carry over
    yield limited_app
    with limited_app.app_context():
        db.engine.dispose()
    # The limiter is one extension object: hand it back to the suite's app, where limits are off.
    limiter.init_app(app)


def test_failed_sign_ins_are_limited(limited, make):
    user = make.user()
    client = limited.test_client()
    for _ in range(3):
        assert client.post("/auth/login", data={"email": user.email, "password": "wrong password!"}).status_code == 422
    refused = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too Many Requests" in refused.get_data(as_text=True)
    assert client.get("/auth/login").status_code == 200  # reading the form is not limited
    elsewhere = limited.test_client().post("/auth/login", data={"email": user.email, "password": PASSWORD},
                                           environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 302  # another address has its own count


def test_token_creation_is_limited(limited, make):
    user = make.user()
    client = limited.test_client()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert client.post("/auth/tokens", data={"name": "ERP satu"}).status_code == 200
    assert client.post("/auth/tokens", data={"name": "ERP dua"}).status_code == 200
    assert client.post("/auth/tokens", data={"name": "ERP tiga"}).status_code == 429


def test_refused_api_tokens_are_limited_and_answered_in_json(limited, make):
    package = make.package()
    client = limited.test_client()
    url = f"/api/v1/packages/{package.id}/pledges"
    headers = {"Authorization": "Bearer tebakan-token", "Idempotency-Key": "k1"}
    for _ in range(2):
        assert client.post(url, json={"amount": 1_000_000}, headers=headers).status_code == 401
    refused = client.post(url, json={"amount": 1_000_000}, headers=headers)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
