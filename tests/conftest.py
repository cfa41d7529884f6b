"""Fixtures: an app on a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
migrated once per session and wiped after each test; a client, a CLI runner, and `login_as`."""
import os

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests import factories


def _reset_database():
    """Drop everything, so the session starts from an empty database (as migrations expect)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def wipe_tables():
    """Empty every table (TRUNCATE on PostgreSQL, which the append-only ledger trigger allows)."""
    db.session.remove()
    tables = [table.name for table in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # SQLite has no TRUNCATE: lift the append-only triggers while emptying, then restore them.
            triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                connection.execute(text(f"DROP TRIGGER {name}"))
            for name in reversed(tables):
                connection.execute(text(f"DELETE FROM {name}"))
            for _name, sql in triggers:
                connection.execute(text(sql))


class FreshContextClient(FlaskClient):
    """Runs every request in its own app context, as a server does: the `app` fixture keeps one
    context open for the whole test, and requests would otherwise share `g` (the cached user,
    the cached locale) with each other and with the test."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def use_language(self, code):
        """Choose the interface language as the language menu does."""
        with self.session_transaction() as session:
            session["lang"] = code
        return self


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(TestingConfig(instance_path=instance))
    app.test_client_class = FreshContextClient
    with app.app_context():
        _reset_database()
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_app, tmp_path):
    """The app inside an app context with its own upload folder; every table is emptied after the test."""
    uploads = _app.config["UPLOAD_FOLDER"]
    _app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with _app.app_context():
        yield _app
        wipe_tables()
    _app.config["UPLOAD_FOLDER"] = uploads


@pytest.fixture
def english(app):
    """Messages in English (the app's default is Bahasa Indonesia) for tests that read them."""
    with force_locale("en"):
        yield


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """The factories, bound to this test's database."""
    return factories


@pytest.fixture
def login_as(client):
    """Sign a user in through the real login form: `login_as(user)`."""

    def login(user, password=factories.PASSWORD):
        response = client.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


def pytest_report_header(config):
    """Say which database the run uses."""
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {'PostgreSQL ' + url if url else 'SQLite'}"
