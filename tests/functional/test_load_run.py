"""A short run of `python -m bench load` in CI: gunicorn with 2 workers on the PostgreSQL test database,
browsing and pledging from loopback for a few seconds, then no 5xx and exact books."""
import os

import pytest

from app.extensions import db

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", 5))


def test_gunicorn_workers_under_load_keep_the_books(app, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the load run serves the app with gunicorn on PostgreSQL (TEST_DATABASE_URL); "
                    "SQLite takes one writer at a time and is the single-machine default")
    pytest.importorskip("gunicorn", reason="gunicorn comes with the prod extras: pip install -e '.[prod]'")
    from bench import load

    target = load.seed_load_data(rws=200, packages=12, clients=8)
    recorder, books, server = load.run(app.config["SQLALCHEMY_DATABASE_URI"], target, workers=2,
                                       seconds=SECONDS, clients=8, directory=tmp_path)

    assert server.returncode == 0  # stopped cleanly by SIGTERM
    assert server.log_problems() == []
    assert len(server.request_ms()) >= recorder.requests  # the access log times every request
    assert recorder.server_errors == 0, dict(recorder.status_totals())
    assert recorder.violations == []
    assert recorder.outcomes["created"] > 0
    assert books.ok, books.rows()
    assert books.packages >= 200 and books.accepted_pledges == books.pledges_in_database > 0
    pages = {kind for kind, counts in recorder.statuses.items() if counts.get(200)}
    assert {"catalogue", "package", "api_read"} <= pages
