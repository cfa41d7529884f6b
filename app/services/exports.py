"""Open data: the public datasets (packages, work items, pledges, spending, RWs), filtered by region and
read in keyset batches so an export of any size keeps memory flat and costs one statement per batch.

What the public may see decides every column: only public packages (`catalogue.visible_clause`) and their
work items, pledges and spending; every RW. Pledgers are named as the public ledger names them (the company
for company collaborators, else the person, or "Anonymous"), and an anonymous pledge's message is withheld.
Hidden names and messages are nulled in SQL so they never leave the database; e-mails, user ids and receipt
files are never selected. Timestamps become Asia/Jakarta calendar days (the day a reader would name).
The file formats live in `app.services.export_formats`.
"""
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, null, select, true
from sqlalchemy.orm import aliased

from app.domain import ROLE_LABELS, WORK_ASPECTS, PackageStatus, RegionLevel
from app.extensions import db
from app.models import (
    RW,
    Expenditure,
    Organisation,
    Package,
    PackageTier,
    Pledge,
    Region,
    SlumAssessment,
    User,
    WorkItem,
)
from app.services import query_args
from app.services.catalogue import visible_clause
from app.services.csv_export import JAKARTA_OFFSET
from app.services.public_ledger import PLEDGER_NAME, Pledger, PledgerOrg

BATCH_SIZE = 1000
Kelurahan = aliased(Region, name="kelurahan")
Kecamatan = aliased(Region, name="kecamatan")
Kota = aliased(Region, name="kota")
Recorder = aliased(User, name="recorder")
RecorderOrg = aliased(Organisation, name="recorder_org")
# How far a package has come, so an RW can report its most advanced public package; cancelled ranks lowest.
STATUS_RANK = {PackageStatus.CANCELLED: 1, PackageStatus.PUBLISHED: 2, PackageStatus.FUNDED: 3,
               PackageStatus.IN_PROGRESS: 4, PackageStatus.COMPLETED: 5}
STATUS_BY_RANK = {rank: str(status) for status, rank in STATUS_RANK.items()}


# `width` is for spreadsheets (characters); `number_format` marks rupiah and other formatted numbers.
Column = namedtuple("Column", "name width number_format", defaults=(None,))
MONEY = "#,##0"


@dataclass(frozen=True)
class Filters:
    """A validated region filter: Kemendagri codes and the ids they resolved to."""

    kota: str | None = None
    kecamatan: str | None = None
    kota_id: int | None = None
    kecamatan_id: int | None = None

    def args(self):
        """The filters as URL query arguments."""
        return {name: getattr(self, name) for name in ("kota", "kecamatan") if getattr(self, name)}


def parse_filters(args):
    """Validate `kota` and `kecamatan` into (Filters, errors); errors map parameter → message.

    One lookup resolves both codes, so a typo or a kecamatan outside the chosen kota is named
    instead of answered with an empty file.
    """
    errors, codes = {}, {}
    query_args.region_code(args, "kota", errors, codes)
    query_args.region_code(args, "kecamatan", errors, codes)
    if not codes:
        return Filters(), errors
    found = {row.code: row for row in db.session.execute(
        select(Region.code, Region.id, Region.level, Region.parent_id).where(Region.code.in_(codes.values())))}
    values = {}
    for name, level, message in (
        ("kota", RegionLevel.KABUPATEN_KOTA, _l("No regency/city has this code.")),
        ("kecamatan", RegionLevel.KECAMATAN, _l("No kecamatan has this code.")),
    ):
        if name not in codes:
            continue
        region = found.get(codes[name])
        if region is None or region.level != level:
            errors[name] = message
        else:
            values[name], values[f"{name}_id"] = region.code, region.id
    if values.get("kota_id") and values.get("kecamatan_id") and \
            found[values["kecamatan"]].parent_id != values["kota_id"]:
        errors["kecamatan"] = _l("This kecamatan is not in the chosen regency/city.")
        del values["kecamatan"], values["kecamatan_id"]
    return Filters(**values), errors


def kecamatan_choices(filters):
    """(code, name) of the chosen kota's kecamatan that have RWs; none until a kota is chosen."""
    if not filters.kota_id:
        return []
    return db.session.execute(
        select(Region.code, Region.name).where(Region.id.in_(
            select(RW.kecamatan_id).where(RW.kota_id == filters.kota_id).distinct()
        )).order_by(Region.code)
    ).all()


@dataclass(frozen=True)
class Dataset:
    """One public table: its columns, and a SELECT whose first column is the unique key batches page by."""

    name: str
    title: object
    description: object
    columns: tuple
    key: object
    query: Callable
    convert: Callable = None


def _regions(query, filters):
    """Keep rows whose RW (already joined) lies in the chosen kota and kecamatan."""
    if filters.kota_id:
        query = query.where(RW.kota_id == filters.kota_id)
    if filters.kecamatan_id:
        query = query.where(RW.kecamatan_id == filters.kecamatan_id)
    return query


def _public(query, filters):
    """Join the package's RW and keep public packages in the chosen regions."""
    return _regions(query.join(RW, RW.id == Package.rw_id).where(visible_clause()), filters)


def _with_places(query):
    """Join the kelurahan, kecamatan and kota of the RW (already joined)."""
    return (query.join(Kelurahan, Kelurahan.id == RW.kelurahan_id).join(Kecamatan, Kecamatan.id == RW.kecamatan_id)
            .join(Kota, Kota.id == RW.kota_id))


PLACE_COLUMNS = (Column("kota_code", 10), Column("kota", 28), Column("kecamatan_code", 14), Column("kecamatan", 22),
                 Column("kelurahan_code", 15), Column("kelurahan", 22), Column("rw_number", 9))
PLACES = (Kota.code, Kota.name, Kecamatan.code, Kecamatan.name, Kelurahan.code, Kelurahan.name, RW.number)


def _packages(filters):
    query = select(
        Package.id, Package.rw_id, Package.title, PackageTier.code, Package.status, *PLACES, Package.estimate,
        Package.committed, Package.received, Package.spent, Package.progress_pct, Organisation.name,
        Package.published_at, Package.funded_at, Package.started_at, Package.completed_at, Package.cancelled_at,
        Package.planned_start, Package.planned_end,
    ).select_from(Package)
    query = _with_places(_public(query, filters)).join(PackageTier, PackageTier.id == Package.tier_id)
    return query.outerjoin(Organisation, Organisation.id == Package.aggregator_id)


def _work_items(filters):
    spent = (select(func.coalesce(func.sum(Expenditure.amount), 0))
             .where(Expenditure.package_id == WorkItem.package_id, Expenditure.work_item_id == WorkItem.id)
             .correlate(WorkItem).scalar_subquery())
    # The aspect is selected twice: the second becomes its label in the reader's language.
    query = select(WorkItem.id, WorkItem.package_id, WorkItem.position, WorkItem.aspect, WorkItem.aspect,
                   WorkItem.description, WorkItem.quantity, WorkItem.unit, WorkItem.unit_cost, WorkItem.subtotal,
                   WorkItem.progress_pct, spent).select_from(WorkItem)
    return _public(query.join(Package, Package.id == WorkItem.package_id), filters)


def _aspect_label(row, words):
    return (*row[:4], words["aspects"].get(row[4], row[4]), *row[5:])


ANONYMOUS = Pledge.anonymous == true()


def _pledges(filters):
    query = select(
        Pledge.id, Pledge.package_id, Pledge.amount, Pledge.status, Pledge.created_at, Pledge.received_at,
        case((ANONYMOUS, null()), else_=PLEDGER_NAME), case((ANONYMOUS, null()), else_=Pledge.message),
        case((ANONYMOUS, 1), else_=0), case((and_(ANONYMOUS, Pledge.message.is_not(None)), 1), else_=0),
    ).select_from(Pledge).join(Package, Package.id == Pledge.package_id)
    query = query.join(Pledger, Pledger.id == Pledge.collaborator_id)
    return _public(query.outerjoin(PledgerOrg, PledgerOrg.id == Pledger.organisation_id), filters)


def _pledger(row, words):
    *head, name, message, anonymous, withheld = row
    return (*head, words["anonymous"] if anonymous else name, words["withheld"] if withheld else message)


def _spending(filters):
    query = select(
        Expenditure.id, Expenditure.package_id, Expenditure.work_item_id, WorkItem.description, Expenditure.amount,
        Expenditure.spent_on, Expenditure.description, RecorderOrg.name, Recorder.role,
    ).select_from(Expenditure).join(Package, Package.id == Expenditure.package_id)
    query = query.join(WorkItem, WorkItem.id == Expenditure.work_item_id)
    query = query.outerjoin(Recorder, Recorder.id == Expenditure.recorded_by_id)
    return _public(query.outerjoin(RecorderOrg, RecorderOrg.id == Recorder.organisation_id), filters)


def _recorder(row, words):
    *head, organisation, role = row
    return (*head, organisation or words["roles"].get(role))


def _assessment(column, newest):
    order = (SlumAssessment.assessed_on.desc(), SlumAssessment.id.desc()) if newest else \
        (SlumAssessment.assessed_on, SlumAssessment.id)
    return (select(column).where(SlumAssessment.rw_id == RW.id).order_by(*order).limit(1)
            .correlate(RW).scalar_subquery())


def rw_columns():
    """The SELECT list of the RW dataset (also the base of the RW GeoJSON)."""
    packages = select(func.count(Package.id)).where(Package.rw_id == RW.id, visible_clause())
    rank = case(*((Package.status == status, value) for status, value in STATUS_RANK.items()), else_=0)
    best = select(func.max(rank)).where(Package.rw_id == RW.id, visible_clause())
    return (
        RW.id, *PLACES, RW.name, RW.lat, RW.lon, RW.location_approximate, RW.households, RW.population, RW.area_ha,
        RW.slum_score, RW.slum_level, _assessment(SlumAssessment.assessed_on, True),
        _assessment(SlumAssessment.total_score, True), _assessment(SlumAssessment.assessed_on, False),
        _assessment(SlumAssessment.total_score, False), packages.correlate(RW).scalar_subquery(),
        best.correlate(RW).scalar_subquery(),
    )


def rw_query(filters, *extra):
    """SELECT the RW columns (and `extra` ones) of every RW in the chosen regions."""
    return _regions(_with_places(select(*rw_columns(), *extra).select_from(RW)), filters)


def _best_status(row, words):
    return (*row[:-2], row[-2] or 0, STATUS_BY_RANK.get(row[-1]))


DATASETS = {dataset.name: dataset for dataset in (
    Dataset("packages", _l("Packages"), _l("Every public package: place, tier, status, money, progress and dates."),
            (Column("id", 8), Column("rw_id", 8), Column("title", 40), Column("tier", 10), Column("status", 12),
             *PLACE_COLUMNS, Column("estimate", 16, MONEY), Column("committed", 16, MONEY),
             Column("received", 16, MONEY), Column("spent", 16, MONEY), Column("progress_pct", 12),
             Column("aggregator", 30), Column("published_on", 13), Column("funded_on", 13),
             Column("started_on", 13), Column("completed_on", 13), Column("cancelled_on", 13),
             Column("planned_start", 13), Column("planned_end", 13)),
            Package.id, _packages),
    Dataset("work_items", _l("Work items (RAB)"),
            _l("The cost plan of each public package: quantities, unit costs, progress and spending per item."),
            (Column("id", 8), Column("package_id", 11), Column("position", 9), Column("aspect", 13),
             Column("aspect_label", 24), Column("description", 40), Column("quantity", 10, "0.00"),
             Column("unit", 8), Column("unit_cost", 16, MONEY), Column("subtotal", 16, MONEY),
             Column("progress_pct", 12), Column("spent", 16, MONEY)),
            WorkItem.id, _work_items, _aspect_label),
    Dataset("pledges", _l("Pledges"),
            _l("Money pledged to public packages and whether it arrived. Anonymous pledgers are not named."),
            (Column("id", 8), Column("package_id", 11), Column("amount", 16, MONEY), Column("status", 11),
             Column("created_on", 13), Column("received_on", 13), Column("pledger", 30), Column("message", 40)),
            Pledge.id, _pledges, _pledger),
    Dataset("spending", _l("Spending"),
            _l("What aggregators spent on each work item of public packages (receipts stay with the aggregator)."),
            (Column("id", 8), Column("package_id", 11), Column("work_item_id", 13), Column("work_item", 30),
             Column("amount", 16, MONEY), Column("spent_on", 13), Column("description", 40),
             Column("recorded_by", 30)),
            Expenditure.id, _spending, _recorder),
    Dataset("rws", _l("RWs and slum assessments"),
            _l("Every RW: place, people, area, slum score now and at the baseline, and its public packages."),
            (Column("id", 8), *PLACE_COLUMNS, Column("name", 20), Column("lat", 11), Column("lon", 11),
             Column("location_approximate", 10), Column("households", 11), Column("population", 11),
             Column("area_ha", 9), Column("slum_score", 11), Column("slum_level", 12),
             Column("latest_assessed_on", 13), Column("latest_total", 12), Column("baseline_assessed_on", 13),
             Column("baseline_total", 12), Column("packages", 10), Column("best_status", 12)),
            RW.id, rw_query, _best_status),
)}


def words():
    """Every label a row may need, translated once per export (lazy strings are slow per row)."""
    return {"aspects": {key: str(label) for key, label in WORK_ASPECTS.items()},
            "roles": {str(key): str(label) for key, label in ROLE_LABELS.items()},
            "anonymous": str(_l("Anonymous")), "withheld": str(_l("withheld (anonymous pledge)"))}


def _plain(value):
    """Timestamps → the Jakarta calendar day; flags → 1/0; everything else unchanged."""
    if isinstance(value, datetime):
        return (value + JAKARTA_OFFSET).date()
    if isinstance(value, bool):
        return int(value)
    return value


def keyset(query, key, batch_size=BATCH_SIZE):
    """Run `query` (first column `key`) in batches of `batch_size` rows with `key > last`: no OFFSET, one
    statement per batch, so the cost of a batch does not grow with how far the export has come."""
    last = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = db.session.execute(page.order_by(key).limit(batch_size)).all()
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def plain_row(dataset, row, labels):
    """One result row as plain values in the order of the dataset's columns (`labels`: `words()`)."""
    values = tuple(_plain(value) for value in row)
    return dataset.convert(values, labels) if dataset.convert else values


def row_count(dataset, filters):
    """How many rows the export would hold (one COUNT over the same query)."""
    return db.session.scalar(select(func.count()).select_from(dataset.query(filters).subquery()))


def batches(dataset, filters, batch_size=BATCH_SIZE):
    """The dataset's rows as lists of plain tuples, in key order, `batch_size` at a time."""
    labels = words()
    for rows in keyset(dataset.query(filters), dataset.key, batch_size):
        yield [plain_row(dataset, row, labels) for row in rows]
