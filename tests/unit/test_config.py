"""Config classes read the environment when instantiated; production refuses to start half-configured."""
import pytest

from app import create_app
from config import (
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_from_env,
    local_secret_key,
    normalise_database_url,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/rukun", "postgresql+psycopg://u:p@db:5432/rukun"),
        ("postgresql://u@db/rukun", "postgresql+psycopg://u@db/rukun"),
        ("postgresql+psycopg://u@db/rukun", "postgresql+psycopg://u@db/rukun"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_normalised(given, expected):
    assert normalise_database_url(given) == expected


def test_default_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = DevelopmentConfig(instance_path=tmp_path)
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'rukun.db'}"
    assert len(config.SECRET_KEY) == 64


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://rukun@db/rukun")
    assert DevelopmentConfig(instance_path=tmp_path).SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://rukun@db/rukun"


def test_generated_secret_key_is_kept_in_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = DevelopmentConfig(instance_path=tmp_path).SECRET_KEY
    assert DevelopmentConfig(instance_path=tmp_path).SECRET_KEY == first
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert local_secret_key(tmp_path / "other") != first


def test_environment_secret_key_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert DevelopmentConfig(instance_path=tmp_path).SECRET_KEY == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without(monkeypatch, tmp_path, missing):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://rukun@db/rukun")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        ProductionConfig(instance_path=tmp_path)


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://rukun@db/rukun")
    config = config_from_env("production", instance_path=tmp_path)
    assert config.SESSION_COOKIE_SECURE and config.SESSION_COOKIE_HTTPONLY
    assert config.SESSION_COOKIE_SAMESITE == "Lax"


def test_rukun_env_selects_the_class(monkeypatch, tmp_path):
    monkeypatch.setenv("RUKUN_ENV", "testing")
    assert isinstance(config_from_env(instance_path=tmp_path), TestingConfig)
    monkeypatch.setenv("RUKUN_ENV", "staging")
    with pytest.raises(RuntimeError, match="Unknown RUKUN_ENV"):
        config_from_env(instance_path=tmp_path)


def test_factory_builds_an_app_from_a_config_object(tmp_path):
    app = create_app(TestingConfig(instance_path=tmp_path))
    assert app.testing
    assert app.instance_path == str(tmp_path)
    assert {"main", "auth", "admin"} <= set(app.blueprints)
    assert {"rupiah", "rupiah_short"} <= set(app.jinja_env.filters)


@pytest.mark.parametrize(("uri", "engine_options", "expected"), [
    ("postgresql+psycopg://u@db/rukun", {"pool_pre_ping": True}, {"pool_pre_ping": True,
                                                                  "connect_args": {"options": "-c jit=off"}}),
    ("postgresql+psycopg://u@db/rukun?options=-c%20jit%3Don", {}, {}),  # the URL's own options win
    ("postgresql+psycopg://u@db/rukun", {"connect_args": {"options": "-c work_mem=64MB"}},
     {"connect_args": {"options": "-c work_mem=64MB"}}),
    ("sqlite:////tmp/x.db", {}, {}),
])
def test_postgres_sessions_get_the_configured_options(uri, engine_options, expected):
    from app import postgres_session_options

    config = {"SQLALCHEMY_DATABASE_URI": uri, "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
              "POSTGRES_OPTIONS": "-c jit=off"}
    postgres_session_options(config)
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == expected


def test_the_suites_database_session_has_them(app):
    from sqlalchemy import text

    from app.extensions import db

    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(text("SHOW jit")) == "off"
    else:
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_dashboard_cache_is_on_in_production_and_off_for_make_run(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://rukun@db/rukun")
    monkeypatch.delenv("DASHBOARD_CACHE_SECONDS", raising=False)
    assert ProductionConfig(instance_path=tmp_path).DASHBOARD_CACHE_SECONDS == 300
    assert DevelopmentConfig(instance_path=tmp_path).DASHBOARD_CACHE_SECONDS == 0
    monkeypatch.setenv("DASHBOARD_CACHE_SECONDS", "60")
    assert DevelopmentConfig(instance_path=tmp_path).DASHBOARD_CACHE_SECONDS == 60
