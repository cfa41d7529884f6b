"""Migrations build the schema the models describe, on an empty database, both ways."""
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db
from config import TestingConfig, normalise_database_url

SCRATCH = "rukun_migration_test"


@pytest.fixture
def empty_database(tmp_path):
    """A brand-new empty database of the kind the suite runs on (a scratch PostgreSQL database)."""
    config = TestingConfig(instance_path=tmp_path)
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'empty.db'}"
        yield config
        return
    parts = urlsplit(normalise_database_url(server))
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {SCRATCH}"))
    config.SQLALCHEMY_DATABASE_URI = urlunsplit(parts._replace(path=f"/{SCRATCH}"))
    yield config
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
    admin.dispose()


def _schema_drift():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_on_empty_database_matches_the_models_and_downgrades(empty_database):
    app = create_app(empty_database)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables
        assert _schema_drift() == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _schema_drift() == []
        db.session.remove()
        db.engine.dispose()


def test_database_constraints_hold_without_the_app(app, make):
    package = make.package(estimate=150_000_000)
    statements = [
        f"UPDATE packages SET committed = estimate + 1 WHERE id = {package.id}",
        f"UPDATE packages SET status = 'finished' WHERE id = {package.id}",
        f"UPDATE work_items SET quantity = -100 WHERE package_id = {package.id}",
        f"UPDATE rws SET households = -1 WHERE id = {package.rw_id}",
        "UPDATE slum_assessments SET road_surface = 100.5",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(text(statement))


def test_rw_number_unique_per_kelurahan(app, make):
    rw = make.rw(number=7)
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO rws (kelurahan_id, kecamatan_id, kota_id, number, lat, lon, location_approximate, "
            "households, population, area_ha, created_at) "
            f"VALUES ({rw.kelurahan_id}, {rw.kecamatan_id}, {rw.kota_id}, 7, -6.2, 106.8, true, 1, 1, 1, "
            "'2021-01-01 00:00:00')"
        ))


def test_ledger_is_append_only_in_the_database(app, make):
    make.package()
    for statement in ("UPDATE ledger_entries SET reason = 'rewritten'", "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
    assert db.session.scalar(text("SELECT count(*) FROM ledger_entries WHERE reason = 'rewritten'")) == 0
