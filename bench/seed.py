"""Catalogue-ready synthetic seed time: bulk loader against the naive ORM (one object per row).

The baseline writes the very same rows through `session.add` and a flush per batch, which is
what a straightforward seed script would do; it runs at the smaller sizes only.
"""
import os

from app.extensions import db
from app.services import stats
from bench.common import Timer, databases, fresh_app, table
from seeds.bulk import insert_rows
from seeds.synthetic import seed_synthetic

SIZES = [int(n) for n in os.environ.get("BENCH_SEED_SIZES", "10000,100000").split(",")]
BASELINE_SIZES = [int(n) for n in os.environ.get("BENCH_SEED_BASELINE_SIZES", "1000,10000").split(",")]


def orm_writer(table_, columns, rows):
    """Baseline: one ORM object per row."""
    from app import models

    model = next(m for m in vars(models).values() if getattr(m, "__table__", None) is table_)
    db.session.add_all(model(**dict(zip(columns, row, strict=True))) for row in rows)
    db.session.flush()


def _run(kind, n, writer):
    with fresh_app(kind) as _app, Timer() as seed_timer:
        summary = seed_synthetic(n, writer=writer)
        with Timer() as first_page:
            figures = stats.headline()
        assert figures.rws == n
    return summary, seed_timer.seconds, first_page.seconds


def main():
    """Run and print the table."""
    rows = []
    for kind in databases():
        for label, writer, sizes in (("bulk (COPY / executemany)", insert_rows, SIZES),
                                     ("naive ORM", orm_writer, BASELINE_SIZES)):
            for n in sizes:
                summary, seconds, first = _run(kind, n, writer)
                rows.append((kind, label, f"{n:,}", f"{summary.pledges:,}", f"{summary.ledger_entries:,}",
                             f"{seconds:.1f}", f"{(summary.pledges + summary.ledger_entries) / seconds:,.0f}",
                             f"{first * 1000:.0f}"))
                print(rows[-1], flush=True)
    print(table("Synthetic seed, catalogue-ready (seconds)",
                ["database", "writer", "RWs", "pledges", "ledger entries", "seed s", "money rows/s",
                 "first headline ms"], rows))
