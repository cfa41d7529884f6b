"""Two separate app processes on one database pledging at once keep the books exact.

Threads in one process share a connection pool and a GIL; separate processes (separate gunicorn workers,
separate machines) share only the database. Each process here builds its own app and pledges through
the API as fast as it can; the database's guarded UPDATE alone must keep every package within its
estimate. Runs on PostgreSQL (row locks) and on SQLite (the file's write lock, WAL, busy timeout).
"""
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain import PackageStatus, Role
from app.extensions import db
from app.models import Package, Pledge
from app.services import ledger, tokens

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 2
THREADS = 3  # per process, each with its own collaborator and token
PLEDGES = 120  # per process
ESTIMATES = [100_000_000, 150_000_000, 200_000_000, 300_000_000, 400_000_000, 500_000_000]


def plan(seed, package_ids):
    """Amounts of 1-15 jt and some of 150 jt, which soon no longer fit; both processes aim at the same packages."""
    rng = random.Random(seed)
    return [(rng.choice(package_ids), 150_000_000 if rng.random() < 0.1 else rng.randint(1, 15) * 1_000_000)
            for _ in range(PLEDGES)]


def start(task, stderr):
    process = subprocess.Popen([sys.executable, "-m", "tests.functional.pledge_process"], cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    process.stdin.write(json.dumps(task) + "\n")
    process.stdin.flush()
    return process


def run_processes(tasks, tmp_path):
    """Start every process, wait until each is ready, say go to all, collect their reports; none outlives this."""
    processes, logs = [], []
    try:
        for number, task in enumerate(tasks):
            logs.append(tmp_path / f"process-{number}.log")
            processes.append(start(task, logs[-1].open("w")))
        for process, log in zip(processes, logs, strict=True):
            line = process.stdout.readline().strip()
            assert line == "ready", f"process did not start: {line!r}\n{log.read_text()}"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = []
        for process, log in zip(processes, logs, strict=True):
            out, _ = process.communicate(timeout=300)
            assert process.returncode == 0, log.read_text()
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()


def test_two_processes_pledging_at_once_never_over_fund(app, make, tmp_path):
    package_ids = [make.package(estimate=estimate).id for estimate in ESTIMATES]
    token_sets = [[tokens.create_token(make.user(Role.COLLABORATOR), "race")[0] for _ in range(THREADS)]
                  for _ in range(PROCESSES)]
    plans = [plan(seed, package_ids) for seed in range(PROCESSES)]
    assert sum(amount for p in plans for _package, amount in p) > sum(ESTIMATES)  # more is asked than fits
    db.session.commit()  # everything the processes need is committed before they start
    database_uri = app.config["SQLALCHEMY_DATABASE_URI"]
    tasks = [{"database_uri": database_uri, "instance": str(tmp_path / f"instance-{n}"), "tokens": token_sets[n],
              "plan": plans[n]} for n in range(PROCESSES)]

    reports = run_processes(tasks, tmp_path)

    answers = [answer for report in reports for answer in report["answers"]]
    assert len(answers) == PROCESSES * PLEDGES
    statuses = Counter(answer["status"] for answer in answers)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] and statuses[409], statuses
    assert all(any(a["status"] == 201 for a in report["answers"]) for report in reports)  # both got pledges in
    first, second = reports
    assert first["started"] < second["finished"] and second["started"] < first["finished"]  # they overlapped

    accepted = [answer for answer in answers if answer["status"] == 201]
    assert len({answer["pledge_id"] for answer in accepted}) == len(accepted)
    db.session.expire_all()
    from_ledger = ledger.package_totals_from_ledger()
    for package_id in package_ids:
        package = db.session.get(Package, package_id)
        live = db.session.scalar(select(func.coalesce(func.sum(Pledge.amount), 0))
                                 .where(Pledge.package_id == package_id, Pledge.status != "cancelled"))
        told = sum(answer["amount"] for answer in accepted if answer["package_id"] == package_id)
        assert package.committed <= package.estimate
        assert package.committed == live == told == from_ledger[package_id][0]
        assert (package.status == PackageStatus.FUNDED) == (package.committed == package.estimate)
    assert db.session.scalar(select(func.count(Pledge.id))) == len(accepted)
