"""`python -m bench load`: the app under gunicorn on PostgreSQL, driven from loopback, then the books.

A database of its own (`bench_load`, dropped afterwards) gets a synthetic catalogue (LOAD_RWS RWs with
their packages and pledges), LOAD_PACKAGES open Bersama packages of Rp 100 jt to pledge to, and one
collaborator with an API token per client. Gunicorn starts with gunicorn.conf.py and RUKUN_ENV=production
(LOAD_WORKERS workers), LOAD_CLIENTS threads browse and pledge for LOAD_SECONDS (bench/load_driver.py),
gunicorn is stopped with SIGTERM, and the books are checked: no package over-funded, every package's
running totals equal to its live pledges and to its ledger, and what the clients were told was accepted
summing exactly to what the pledge targets hold. Fails (exit 1) on any 5xx or any difference.
"""
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from bench.common import fresh_app, server_url, table
from bench.load_driver import Target, drive, percentile, report_rows

ROOT = Path(__file__).resolve().parent.parent
ESTIMATE = 100_000_000  # ~8 pledges of 1–25 jt fill a pledge target: many fill up during a run
PASSWORD = "load-password-123"  # noqa: S105 - throw-away accounts in a throw-away database  # nosec B105


def _env(name, default, kind=int):
    return kind(os.environ.get(name) or default)


def seed_load_data(rws, packages, clients):
    """In the current app context: the synthetic catalogue, the pledge targets and the clients' tokens."""
    from app.domain import PackageStatus, RegionLevel
    from app.extensions import db
    from app.models import RW, Package, PackageTier, Region
    from app.services import accounts, lifecycle, regions, tokens
    from app.services.packages import ItemInput, create_package
    from seeds.reference import load_regions, load_tiers
    from seeds.synthetic import seed_synthetic

    if rws:
        seed_synthetic(rws)
    else:
        load_regions()  # the Jakarta regions, for the pledge targets' RWs
    load_tiers()
    tier = db.session.scalar(select(PackageTier).where(PackageTier.code == "bersama"))
    places = db.session.scalars(select(Region).where(Region.level == RegionLevel.KELURAHAN)
                                .order_by(Region.id).limit(max(1, min(packages, 100)))).all()
    targets = []
    for index in range(packages):
        rw = regions.create_rw(places[index % len(places)], 50 + index // len(places), -6.2, 106.8, households=120)
        db.session.flush()
        package = create_package(rw, tier, f"Beban {index + 1}",
                                 [ItemInput("drainase", "Saluran", Decimal(1), "ls", ESTIMATE)])
        lifecycle.transition(package, PackageStatus.PUBLISHED)
        targets.append(package.id)
    users = [accounts.create_user(accounts.NewUser(email=f"beban{i}@load.rukun.id", password=PASSWORD,
                                                   name=f"Beban {i}"), commit=False) for i in range(clients)]
    db.session.commit()
    plain = [tokens.create_token(user, "load")[0] for user in users]
    visible = select(Package.id).where(Package.status != PackageStatus.DRAFT).order_by(Package.id)
    kotas = select(Region.code).where(Region.level == RegionLevel.KABUPATEN_KOTA).order_by(Region.code)
    target = Target(pledge_package_ids=targets, browse_package_ids=list(db.session.scalars(visible.limit(2000))),
                    rw_ids=list(db.session.scalars(select(RW.id).order_by(RW.id).limit(2000))),
                    kota_codes=list(db.session.scalars(kotas)), tokens=plain)
    db.session.remove()
    return target


@dataclass
class Server:
    """A running gunicorn: its URL, process and log files."""

    base_url: str
    process: subprocess.Popen
    directory: Path
    returncode: int | None = None

    def request_ms(self):
        """Time spent on each request inside gunicorn (the access log's last field), without the queue."""
        log = self.directory / "access.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return [int(line.rsplit(" ", 1)[1][:-2]) for line in lines if line.endswith("ms")]

    def log_problems(self):
        """Lines of the error log that say something went wrong (tracebacks, worker timeouts, boot failures)."""
        log = (self.directory / "error.log").read_text(errors="replace")
        return [line for line in log.splitlines()
                if any(word in line for word in ("Traceback", "WORKER TIMEOUT", "[ERROR]", "[CRITICAL]"))]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(server, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("gunicorn exited while starting:\n" + (server.directory / "error.log").read_text())
        try:
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {seconds} s")


@contextlib.contextmanager
def gunicorn(database_url, workers, directory):
    """Serve wsgi:app with gunicorn.conf.py on a free loopback port, as production would; stop it with
    SIGTERM (graceful) afterwards and keep its exit status in `returncode`."""
    directory = Path(directory)
    port = _free_port()
    env = {**os.environ, "RUKUN_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": database_url, "RUKUN_INSTANCE_PATH": str(directory / "instance"),
           "UPLOAD_FOLDER": str(directory / "uploads"), "GUNICORN_WORKERS": str(workers),
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": str(directory / "access.log"),
           "GUNICORN_ERROR_LOG": str(directory / "error.log")}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(f"http://127.0.0.1:{port}", process, directory)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            server.returncode = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            server.returncode = process.wait()


@dataclass
class Books:
    """The money checks after a run; `ok` when every difference is zero."""

    packages: int = 0
    over_funded: int = 0
    totals_vs_pledges: int = 0
    totals_vs_ledger: int = 0
    accepted_vs_committed: int = 0
    accepted_pledges: int = 0
    pledges_in_database: int = 0
    status_mismatches: int = 0
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        return not (self.over_funded or self.totals_vs_pledges or self.totals_vs_ledger or self.accepted_vs_committed
                    or self.status_mismatches or self.accepted_pledges != self.pledges_in_database)

    def rows(self):
        return [("packages checked", self.packages), ("over-funded (committed > estimate)", self.over_funded),
                ("committed ≠ sum of live pledges", self.totals_vs_pledges),
                ("committed/received/spent ≠ ledger sums", self.totals_vs_ledger),
                ("pledge targets: committed ≠ sum of accepted amounts", self.accepted_vs_committed),
                ("pledges accepted (201, distinct)", self.accepted_pledges),
                ("pledges on the targets in the database", self.pledges_in_database),
                ("targets funded ⇔ committed = estimate broken", self.status_mismatches)]


def check_books(target, recorder):
    """In an app context on the load database: compare packages, pledges, ledger and what the clients heard."""
    from app.domain import PackageStatus, PledgeStatus
    from app.extensions import db
    from app.models import Package, Pledge
    from app.services import ledger

    db.session.remove()
    books = Books()
    packages = db.session.execute(select(Package.id, Package.estimate, Package.committed, Package.received,
                                         Package.spent, Package.status)).all()
    live = dict(db.session.execute(select(Pledge.package_id, func.sum(Pledge.amount))
                                   .where(Pledge.status != PledgeStatus.CANCELLED).group_by(Pledge.package_id)).all())
    from_ledger = ledger.package_totals_from_ledger()
    accepted = {}
    for package_id, amount in recorder.accepted.values():
        accepted[package_id] = accepted.get(package_id, 0) + amount
    targets = set(target.pledge_package_ids)
    books.packages = len(packages)
    for row in packages:
        books.over_funded += row.committed > row.estimate
        books.totals_vs_pledges += row.committed != int(live.get(row.id, 0))
        books.totals_vs_ledger += (row.committed, row.received, row.spent) != from_ledger.get(row.id, (0, 0, 0))
        if row.id in targets:
            books.accepted_vs_committed += accepted.get(row.id, 0) != row.committed
            full = row.committed == row.estimate
            books.status_mismatches += full != (row.status == PackageStatus.FUNDED)
    books.accepted_pledges = len(recorder.accepted)
    books.pledges_in_database = db.session.scalar(select(func.count(Pledge.id))
                                                  .where(Pledge.package_id.in_(targets)))
    books.notes = list(recorder.violations)
    db.session.remove()
    return books


def run(database_url, target, workers, seconds, clients, directory):
    """Serve, drive, stop, check: (recorder, books, server). The caller holds an app context on the database."""
    with gunicorn(database_url, workers, directory) as server:
        recorder = drive(server.base_url, target, seconds, clients)
    return recorder, check_books(target, recorder), server


def main():
    """Run the load and print the tables; exit 1 on a 5xx, a broken promise or books that do not balance."""
    if not server_url():
        print("load: skipped, needs PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL)", flush=True)
        return
    workers, clients = _env("LOAD_WORKERS", 4), _env("LOAD_CLIENTS", 16)
    seconds, rws, packages = _env("LOAD_SECONDS", 60, float), _env("LOAD_RWS", 2000), _env("LOAD_PACKAGES", 200)
    with fresh_app("postgresql", name=os.environ.get("LOAD_DATABASE", "bench_load")) as app, \
            tempfile.TemporaryDirectory(prefix="rukun-load-") as directory:
        started = time.perf_counter()
        target = seed_load_data(rws, packages, clients)
        print(f"seeded {rws:,} synthetic RWs, {packages} pledge targets, {clients} clients with tokens "
              f"in {time.perf_counter() - started:.1f} s; driving {workers} gunicorn workers for {seconds:g} s",
              flush=True)
        recorder, books, server = run(app.config["SQLALCHEMY_DATABASE_URI"], target, workers, seconds, clients,
                                      directory)
        problems, server_ms = server.log_problems(), server.request_ms()
    print(table(f"Load: {clients} clients, gunicorn {workers} workers, PostgreSQL, {recorder.seconds:.1f} s",
                ["kind", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "statuses"],
                report_rows(recorder)))
    print(table("Pledges", ["outcome", "count"], sorted(recorder.outcomes.items())))
    print(table("Books after the run", ["check", "value"], books.rows()))
    if server_ms:
        p50, p95, p99 = (percentile(server_ms, share) for share in (0.5, 0.95, 0.99))
        print(f"inside gunicorn (access log, no queueing): {len(server_ms)} requests, p50 {p50} ms, p95 {p95} ms, "
              f"p99 {p99} ms")
    print(f"gunicorn exit status {server.returncode}; error-log problems: {len(problems)}")
    for line in [*books.notes, *problems][:20]:
        print("  " + line)
    if recorder.server_errors or not books.ok or books.notes or server.returncode != 0:
        raise SystemExit(1)
