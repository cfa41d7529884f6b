"""Shared benchmark plumbing: fresh databases, timing, and markdown tables."""
import contextlib
import os
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from config import TestingConfig, normalise_database_url


def server_url():
    """The PostgreSQL server to benchmark on, or None."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


PG_DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def bench_server(database):
    """(an AUTOCOMMIT engine on the server's `postgres` database, the URL of `database` on the same server) for
    the server of BENCH_DATABASE_URL / TEST_DATABASE_URL (default: the local one). Only databases named bench*
    are ever touched."""
    if not database.startswith("bench"):
        raise SystemExit(f"refusing to use the database {database!r} for a benchmark")
    parts = urlsplit(normalise_database_url(server_url() or PG_DEFAULT_SERVER))
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    return admin, urlunsplit(parts._replace(path=f"/{database}"))


def chosen_databases(variable):
    """The kinds named in the environment `variable` (default both), without PostgreSQL when no server
    answers (said on stdout)."""
    chosen = os.environ.get(variable, "sqlite,postgresql").split(",")
    if "postgresql" in chosen:
        try:
            admin, _url = bench_server("bench")
            with admin.connect():
                pass
            admin.dispose()
        except Exception as error:  # noqa: BLE001 - no server: say so, run SQLite only
            print(f"PostgreSQL unavailable ({error.__class__.__name__}); SQLite only", flush=True)
            chosen.remove("postgresql")
    return chosen


def ms(seconds):
    """Seconds as milliseconds for a table: whole above 10 ms, one decimal below."""
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def databases():
    """The database kinds to run: always SQLite, PostgreSQL when a server is configured."""
    return ["sqlite", "postgresql"] if server_url() else ["sqlite"]


@contextlib.contextmanager
def fresh_app(kind, name="rukun_bench"):
    """An app on a new, migrated, empty database of `kind`, dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="rukun-bench-") as instance:
        config = TestingConfig(instance_path=instance)
        if kind == "postgresql":
            admin_url = normalise_database_url(server_url())
            parts = urlsplit(admin_url)
            admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                connection.execute(text(f"CREATE DATABASE {name}"))
            config.SQLALCHEMY_DATABASE_URI = urlunsplit(parts._replace(path=f"/{name}"))
        else:
            config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance}/bench.db"
        app = create_app(config)
        with app.app_context():
            upgrade()
            try:
                yield app
            finally:
                from app.extensions import db

                db.session.remove()
                db.engine.dispose()
        if kind == "postgresql":
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


class Timer:
    """`with Timer() as t: ...; t.seconds`."""

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


def table(title, headers, rows):
    """A markdown table as a string."""
    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
