"""Everything the package, RW and region pages show, each section one query (no N+1)."""
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.domain import PackageStatus, PledgeStatus, RegionLevel
from app.extensions import db
from app.models import RW, LedgerEntry, Organisation, Package, Pledge, Region, SlumAssessment, User
from app.services import scoring
from app.services.catalogue import visible_clause


@dataclass
class Supporter:
    """A line of the supporters list; anonymous pledgers have no name."""

    name: str | None
    organisation: str | None
    amount: int
    status: str
    created_at: object
    message: str | None


@dataclass
class PackageDetail:
    """The package page's data."""

    package: Package
    assessment: SlumAssessment | None
    score: scoring.SlumScore | None
    supporters: list
    history: list


def package_detail(package_id, include_drafts=False):
    """The package with its RW, regions, tier, aggregator and items; None when not visible."""
    package = db.session.scalar(
        select(Package).where(Package.id == package_id).options(
            joinedload(Package.rw).joinedload(RW.kelurahan),
            joinedload(Package.rw).joinedload(RW.kecamatan),
            joinedload(Package.rw).joinedload(RW.kota),
            joinedload(Package.tier),
            joinedload(Package.aggregator),
            joinedload(Package.items),
        )
    )
    if package is None or not (include_drafts or is_public(package)):
        return None
    assessment = latest_assessment(package.rw_id)
    return PackageDetail(
        package=package,
        assessment=assessment,
        score=scoring.score(assessment.shares()) if assessment else None,
        supporters=supporters(package.id),
        history=status_history(package.id),
    )


def is_public(package):
    """The Python twin of catalogue.visible_clause for one loaded package."""
    if package.status == PackageStatus.DRAFT:
        return False
    return package.status != PackageStatus.CANCELLED or package.published_at is not None


def latest_assessment(rw_id):
    """The RW's most recent slum assessment."""
    return db.session.scalar(
        select(SlumAssessment).where(SlumAssessment.rw_id == rw_id)
        .order_by(SlumAssessment.assessed_on.desc(), SlumAssessment.id.desc()).limit(1)
    )


def supporters(package_id):
    """Non-cancelled pledges, largest first; names hidden for anonymous pledgers."""
    rows = db.session.execute(
        select(Pledge.anonymous, User.name, Organisation.name, Pledge.amount, Pledge.status, Pledge.created_at,
               Pledge.message)
        .join(User, User.id == Pledge.collaborator_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Pledge.package_id == package_id, Pledge.status != PledgeStatus.CANCELLED)
        .order_by(Pledge.amount.desc(), Pledge.id)
    )
    return [
        # An anonymous pledger's message may name them: it stays private, as on the public ledger.
        Supporter(None if anonymous else name, None if anonymous else organisation, amount, status, created,
                  None if anonymous else message)
        for anonymous, name, organisation, amount, status, created, message in rows
    ]


def status_history(package_id):
    """The package's status changes from the ledger, oldest first, with who made them."""
    return db.session.execute(
        select(LedgerEntry.created_at, LedgerEntry.before, LedgerEntry.after, LedgerEntry.reason, User.name)
        .outerjoin(User, User.id == LedgerEntry.actor_id)
        .where(LedgerEntry.package_id == package_id, LedgerEntry.subject_type == "packages",
               LedgerEntry.action.in_(("package.created", "package.status")))
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    ).all()


@dataclass
class RWDetail:
    """The RW page's data: the RW, its public packages, and (assessment, score) oldest first."""

    rw: RW
    packages: list
    history: list


def rw_detail(rw_id):
    """An RW with its regions, assessment history (oldest first) and its public packages; or None."""
    rw = db.session.scalar(
        select(RW).where(RW.id == rw_id).options(
            joinedload(RW.kelurahan), joinedload(RW.kecamatan), joinedload(RW.kota),
            joinedload(RW.assessments),
        )
    )
    if rw is None:
        return None
    packages = db.session.scalars(
        select(Package).where(Package.rw_id == rw_id, visible_clause())
        .options(joinedload(Package.tier), joinedload(Package.aggregator)).order_by(Package.created_at)
    ).unique().all()
    return RWDetail(rw, packages, [(a, scoring.score(a.shares())) for a in rw.assessments])


@dataclass
class RegionSummary:
    """A region's figures and its child regions' (or RWs') rows."""

    region: Region
    ancestors: list
    children: list
    rws: int
    households: int
    severe: int
    packages: int
    estimate: int
    committed: int
    received: int


_COLUMN = {RegionLevel.KABUPATEN_KOTA: RW.kota_id, RegionLevel.KECAMATAN: RW.kecamatan_id,
           RegionLevel.KELURAHAN: RW.kelurahan_id}
_CHILD = {RegionLevel.PROVINSI: RW.kota_id, RegionLevel.KABUPATEN_KOTA: RW.kecamatan_id,
          RegionLevel.KECAMATAN: RW.kelurahan_id}


def _totals(columns=()):
    public = visible_clause()
    return select(
        *columns,
        func.count(func.distinct(RW.id)),
        func.count(func.distinct(case((RW.slum_level == "berat", RW.id)))),
        func.count(Package.id),
        func.coalesce(func.sum(Package.estimate), 0),
        func.coalesce(func.sum(Package.committed), 0),
        func.coalesce(func.sum(Package.received), 0),
    ).select_from(RW).outerjoin(Package, (Package.rw_id == RW.id) & public)


def region_summary(code):
    """Totals for a region and a row per child region: (code, name, rws, severe, packages, estimate,
    committed, received). Households are summed apart, as an RW may have several packages."""
    region = db.session.scalar(select(Region).where(Region.code == code).options(joinedload(Region.parent)))
    if region is None:
        return None
    ancestors, parent = [], region.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent
    if region.level == RegionLevel.PROVINSI:
        scope = RW.kota_id.in_(select(Region.id).where(Region.parent_id == region.id))
    else:
        scope = _COLUMN[RegionLevel(region.level)] == region.id
    row = db.session.execute(_totals().where(scope)).one()
    children = []
    child_column = _CHILD.get(RegionLevel(region.level))
    if child_column is not None:
        children = db.session.execute(
            _totals((Region.code, Region.name)).join(Region, Region.id == child_column).where(scope)
            .group_by(Region.code, Region.name).order_by(Region.code)
        ).all()
    rws, severe, packages, estimate, committed, received = row
    households = db.session.scalar(select(func.coalesce(func.sum(RW.households), 0)).where(scope))
    return RegionSummary(region, ancestors, children, rws, int(households), severe, packages, int(estimate),
                         int(committed), int(received))


def region_rws(kelurahan):
    """The RWs of a kelurahan with their latest score, in number order."""
    return db.session.scalars(select(RW).where(RW.kelurahan_id == kelurahan.id).order_by(RW.number)).all()
