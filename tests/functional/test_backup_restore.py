"""scripts/backup.sh and scripts/restore.sh on the PostgreSQL test database: a restored copy in a fresh
database and folder has the same rows, the same money, the same upload files, and a ledger that is still
append-only. (scripts/test_backup_restore.sh does the same with the whole demo, by hand.)"""
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text

from app.extensions import db

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parents[2]
FACTS = {
    "packages": "SELECT count(*), sum(estimate), sum(committed), sum(received), sum(spent) FROM packages",
    "pledges": "SELECT status, count(*), sum(amount) FROM pledges GROUP BY status ORDER BY status",
    "ledger": "SELECT count(*), sum(committed_delta), sum(received_delta), sum(spent_delta) FROM ledger_entries",
    "users": "SELECT count(*) FROM users",
    "tokens": "SELECT count(*) FROM api_tokens",
    "revision": "SELECT version_num FROM alembic_version",
}


def facts(connection):
    return {name: [tuple(row) for row in connection.execute(text(query))] for name, query in FACTS.items()}


def files(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def scratch_database(app):
    """A fresh, empty database beside the test database; dropped afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("backup.sh dumps PostgreSQL with pg_dump; a SQLite file is backed up by copying it")
    if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")):
        pytest.skip("needs PostgreSQL's client tools (pg_dump, pg_restore, psql)")
    url = urlsplit(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"{url.path.lstrip('/')}_restored"
    admin = create_engine(urlunsplit(url._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield urlunsplit(url._replace(path=f"/{name}"))
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def script(name, database_url, uploads, *args):
    env = {**os.environ, "DATABASE_URL": database_url, "UPLOAD_FOLDER": str(uploads)}
    return subprocess.run([str(ROOT / "scripts" / name), *map(str, args)],  # noqa: S603 - our own scripts
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_backup_restores_into_a_fresh_database_whole(app, scratch_database, site, tmp_path):
    uploads = Path(app.config["UPLOAD_FOLDER"])
    (uploads / "photos").mkdir(parents=True)
    (uploads / "photos" / "a1b2.jpg").write_bytes(b"\xff\xd8 a photo \xff\xd9")
    (uploads / "receipts").mkdir()
    (uploads / "receipts" / "c3d4.pdf").write_bytes(b"%PDF-1.4 a receipt")
    db.session.commit()
    with db.engine.connect() as connection:
        before = facts(connection)

    backup = script("backup.sh", app.config["SQLALCHEMY_DATABASE_URI"], uploads, tmp_path / "backups")
    assert backup.returncode == 0, backup.stderr
    dump, archive, sums = backup.stdout.split()
    assert dump.endswith(".dump") and archive.endswith(".uploads.tar.gz") and sums.endswith(".sha256")

    restored_uploads = tmp_path / "restored-uploads"
    restore = script("restore.sh", scratch_database, restored_uploads, dump)
    assert restore.returncode == 0, restore.stderr
    engine = create_engine(scratch_database)
    try:
        with engine.connect() as connection:
            assert facts(connection) == before
            assert before["pledges"] and before["ledger"][0][0] > 0  # there was money to compare
            with pytest.raises(Exception, match="append-only"):
                connection.execute(text("UPDATE ledger_entries SET reason = 'x'"))
    finally:
        engine.dispose()
    assert files(restored_uploads) == files(uploads)

    again = script("restore.sh", scratch_database, tmp_path / "elsewhere", dump)
    assert again.returncode == 3 and "already has" in again.stderr  # never merges into live data
