"""X-Forwarded-* is honoured only behind as many proxies as PROXY_FIX_HOPS says (default: none)."""
import pytest
from flask import request
from flask_limiter.util import get_remote_address

from app import create_app
from app.extensions import db
from config import TestingConfig

FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "rukun.example.org"}


@pytest.fixture
def build(tmp_path):
    """create_app with PROXY_FIX_HOPS from config (None: not set), plus a route that shows what the app sees."""
    apps = []

    def make(hops=None):
        config = TestingConfig(instance_path=tmp_path)
        if hops is not None:
            config.PROXY_FIX_HOPS = hops
        app = create_app(config)

        @app.get("/_seen")
        def seen():
            return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def seen(app, headers=FORWARDED):
    return app.test_client().get("/_seen", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_json()


def test_forwarded_headers_are_ignored_by_default(build, monkeypatch):
    monkeypatch.delenv("PROXY_FIX_HOPS", raising=False)
    assert seen(build()) == {"addr": "10.0.0.2", "scheme": "http", "host": "localhost"}


def test_one_trusted_hop_takes_the_address_the_proxy_saw(build):
    # The last X-Forwarded-For entry is the one our proxy added; earlier ones are the client's to invent.
    assert seen(build(hops=1)) == {"addr": "198.51.100.7", "scheme": "https", "host": "rukun.example.org"}
    assert seen(build(hops=2))["addr"] == "203.0.113.9"


def test_hops_come_from_the_environment_when_config_does_not_set_them(build, monkeypatch):
    monkeypatch.setenv("PROXY_FIX_HOPS", "1")
    assert seen(build())["addr"] == "198.51.100.7"
    monkeypatch.setenv("PROXY_FIX_HOPS", "0")
    assert seen(build())["addr"] == "10.0.0.2"


def test_a_bad_value_refuses_to_start(build, monkeypatch):
    monkeypatch.setenv("PROXY_FIX_HOPS", "one")
    with pytest.raises(RuntimeError, match="PROXY_FIX_HOPS"):
        build()


def test_rate_limits_key_on_the_client_behind_the_proxy(build):
    """Without the fix every visitor would share the proxy's address, and so one login limit."""
    app = build(hops=1)

    @app.get("/_limit_key")
    def limit_key():
        return {"key": get_remote_address()}

    response = app.test_client().get("/_limit_key", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.get_json() == {"key": "198.51.100.7"}
