"""The Jakarta demo: KSBB-style RWs, aggregators, packages, pledges and progress.

Idempotent: everything is looked up by its natural key first (region code, e-mail, organisation
name, kelurahan + RW number), and a package's story is played only when the RW has no package.
Money moves through the same services the app uses, so the ledger reconciles from the start.
"""
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import delete, func, select

from app.domain import CRITERION_COLUMNS, PackageStatus, PledgeStatus, Role
from app.extensions import db
from app.models import RW, Organisation, OutboxEmail, Package, PackageTier, Region, SlumAssessment, User
from app.services import accounts, lifecycle, pledging, progress, regions, spending
from app.services.organisations import upsert_organisation
from app.services.packages import ItemInput, create_package
from seeds.photos import demo_photos
from seeds.reference import load_regions, load_tiers, progress_file, read_csv

DEMO_PASSWORD = "rukun-demo-2021"  # noqa: S105 published demo credential (README)  # nosec B105


@dataclass
class Summary:
    """What a seed run did, for the one-line report."""

    created: dict = field(default_factory=dict)
    seconds: float = 0.0
    logins: list = field(default_factory=list)

    def add(self, what, count):
        """Count created things."""
        self.created[what] = self.created.get(what, 0) + count

    def line(self):
        """One line: what was created and how long it took."""
        parts = ", ".join(f"{count} {what}" for what, count in self.created.items() if count)
        return f"Demo seed done in {self.seconds:.1f} s: {parts or 'nothing new (already seeded)'}."


def database_is_empty():
    """True when no region is loaded yet."""
    return db.session.scalar(select(func.count(Region.id))) == 0


def seed_demo(progress=False):
    """Load (or complete) the demo data set and return a Summary."""
    started = time.perf_counter()
    summary = Summary()
    summary.add("regions", load_regions())
    summary.add("tiers", load_tiers())
    summary.add("organisations", _load_organisations())
    summary.add("users", _load_users(summary))
    db.session.commit()
    summary.add("RWs", _load_rws())
    summary.add("assessments", _load_assessments())
    db.session.commit()
    summary.add("packages", _load_packages(show_progress=progress))
    # The story above goes through the real services, which queue e-mail to the (fictional) demo
    # addresses; the in-app notifications stay, the e-mail is dropped so `outbox send` never mails them.
    db.session.execute(delete(OutboxEmail).where(OutboxEmail.sent_at.is_(None)))
    db.session.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def _load_organisations():
    existing = set(db.session.scalars(select(Organisation.name)))
    for row in read_csv("organisations.csv"):
        upsert_organisation(
            row["name"], row["kind"], verified=row["verified"] == "1", description=row["description"] or None,
            website=row["website"] or None, region_codes=[code for code in row["regions"].split(";") if code],
        )
    db.session.flush()
    return len(set(db.session.scalars(select(Organisation.name))) - existing)


def _load_users(summary):
    organisations = {o.name: o.id for o in db.session.scalars(select(Organisation))}
    created = 0
    for row in read_csv("demo_users.csv"):
        if row["email"] in ("admin@rukun.id", "perkim@rukun.id", "agregator@rukun.id", "kolaborator@rukun.id",
                            "csr@rukun.id"):
            summary.logins.append((row["role"], row["email"], DEMO_PASSWORD))
        if accounts.email_taken(row["email"]):
            continue
        accounts.create_user(accounts.NewUser(
            email=row["email"], password=DEMO_PASSWORD, name=row["name"], role=Role(row["role"]),
            organisation_id=organisations.get(row["organisation"]), is_company=row["is_company"] == "1",
        ), commit=False)
        created += 1
    return created


def _rw_key(kelurahan_code, number):
    return f"{kelurahan_code}/{int(number)}"


def _existing_rws():
    rows = db.session.execute(select(RW, Region.code).join(Region, Region.id == RW.kelurahan_id))
    return {_rw_key(code, rw.number): rw for rw, code in rows}


def _load_rws():
    existing = _existing_rws()
    kelurahan = {r.code: r for r in db.session.scalars(select(Region).where(Region.level == "kelurahan"))}
    created = 0
    for row in read_csv("demo_rws.csv"):
        if _rw_key(row["kelurahan_kode"], row["rw"]) in existing:
            continue
        regions.create_rw(
            kelurahan[row["kelurahan_kode"]], int(row["rw"]), float(row["lat"]), float(row["lon"]),
            households=int(row["households"]), population=int(row["population"]), area_ha=float(row["area_ha"]),
            approximate=True,
        )
        created += 1
    db.session.flush()
    return created


def _load_assessments():
    rws = _existing_rws()
    done = {(a.rw_id, a.assessed_on) for a in db.session.scalars(select(SlumAssessment))}
    created = 0
    for row in read_csv("demo_assessments.csv"):
        rw = rws[_rw_key(row["kelurahan_kode"], row["rw"])]
        assessed_on = date.fromisoformat(row["assessed_on"])
        if (rw.id, assessed_on) in done:
            continue
        regions.record_assessment(
            rw, {column: float(row[column]) for column in CRITERION_COLUMNS}, assessed_on=assessed_on,
            is_baseline=row["is_baseline"] == "1", source="Demo data (fictional)",
            verified_area_ha=float(row["verified_area_ha"]), buildings=int(row["buildings"]),
            population=int(row["population"]), households=int(row["households"]),
            ideal_road_length_m=float(row["ideal_road_length_m"]),
            ideal_drain_length_m=float(row["ideal_drain_length_m"]),
        )
        created += 1
    return created


def _load_packages(show_progress=False):
    rws = _existing_rws()
    with_package = set(db.session.scalars(select(Package.rw_id)))
    tiers = {t.code: t for t in db.session.scalars(select(PackageTier))}
    organisations = {o.name: o for o in db.session.scalars(select(Organisation))}
    users = {u.email: u for u in db.session.scalars(select(User))}
    government = users["perkim@rukun.id"]
    items_by_key, pledges_by_key = {}, {}
    for row in read_csv("demo_work_items.csv"):
        items_by_key.setdefault(row["package_key"], []).append(ItemInput(
            aspect=row["aspect"], description=row["description"], quantity=Decimal(row["quantity"]),
            unit=row["unit"], unit_cost=int(row["unit_cost"]),
        ))
    for row in read_csv("demo_pledges.csv"):
        pledges_by_key.setdefault(row["package_key"], []).append(row)
    rows = [row for row in read_csv("demo_packages.csv") if rws[row["key"]].id not in with_package]
    with click.progressbar(rows, label="Packages", file=progress_file(show_progress)) as bar:
        for index, row in enumerate(bar):
            story = _PackageStory(row, rws[row["key"]], tiers[row["tier"]], organisations, users, government, index)
            story.play(items_by_key[row["key"]], pledges_by_key.get(row["key"], []))
    return len(rows)


@dataclass
class _PackageStory:
    """Plays one package from draft to its target status through the app's services."""

    row: dict
    rw: RW
    tier: PackageTier
    organisations: dict
    users: dict
    government: User
    index: int

    def play(self, items, pledge_rows):
        """Create, publish, fund, report and complete or cancel, as the row's status says."""
        target = PackageStatus(self.row["status"])
        aggregator = self.organisations.get(self.row["aggregator"]) if self.row["aggregator"] else None
        start = date(2021, 3, 1) + timedelta(days=7 * (self.index % 20))
        package = create_package(
            self.rw, self.tier, self.row["title"], items, actor=self.government,
            description=self.row["description"], aggregator=aggregator,
            planned_start=start, planned_end=start + timedelta(days=180),
        )
        db.session.commit()
        if target == PackageStatus.DRAFT:
            return
        lifecycle.transition(package, PackageStatus.PUBLISHED, actor=self.government, reason="Demo publication")
        db.session.commit()
        self._pledges(package, pledge_rows, aggregator)
        if target in (PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED):
            self._progress(package, aggregator, complete=target == PackageStatus.COMPLETED)
        if target == PackageStatus.CANCELLED:
            lifecycle.transition(package, PackageStatus.CANCELLED, actor=self.government,
                                 reason="Kelurahan relocated the households; package withdrawn (demo).")
            db.session.commit()

    def _staff(self, aggregator):
        return next(user for user in self.users.values()
                    if user.role == Role.AGGREGATOR and user.organisation_id == aggregator.id)

    def _pledges(self, package, pledge_rows, aggregator):
        for row in pledge_rows:
            collaborator = self.users[row["email"]]
            pledge = pledging.create_pledge(
                package, collaborator, int(row["amount"]), anonymous=row["anonymous"] == "1",
                message=row["message"] or None,
            )
            status = PledgeStatus(row["status"])
            if status == PledgeStatus.RECEIVED:
                pledging.confirm_received(pledge, self._staff(aggregator), transfer_date=date(2021, 4, 1),
                                          reference=f"TRF-{pledge.id:06d}")
            elif status == PledgeStatus.CANCELLED:
                pledging.cancel_pledge(pledge, collaborator, reason=row["message"] or "Changed plans (demo)")

    def _progress(self, package, aggregator, complete):
        staff = self._staff(aggregator)
        photo_folder = str(Path(current_app.config["UPLOAD_FOLDER"]) / "photos")
        steps = (40, 75, 100) if complete else (35,)
        report_date = (package.planned_start or date(2021, 4, 1)) + timedelta(days=30)
        for step in steps:
            final = complete and step == 100
            report = progress.submit_report(
                package, staff, report_date,
                f"Pekerjaan mencapai sekitar {step} %. Warga ikut gotong royong (data demo).",
                {item.id: step for item in package.items}, is_final=final,
                photos=demo_photos(package.rw, step), folder=photo_folder,
            )
            progress.verify_report(report, self.government, package)
            report_date += timedelta(days=45)
        db.session.commit()
        for item in package.items:
            share = Decimal(package.progress_pct) / 100
            amount = int(item.subtotal * share * Decimal("0.95"))
            if amount > 0:
                spending.record_expenditure(package, item, amount, report_date, f"Realisasi {item.description}",
                                            staff, receipt=None)
        db.session.commit()

