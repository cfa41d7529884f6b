"""What the management pages list: each a fixed number of queries whatever the data size."""
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.domain import PackageStatus
from app.extensions import db
from app.models import RW, Package, Region, SlumAssessment
from app.services import aggregator_match, assignments

SHORT_LIST = 20
TOP_MATCHES = 5


@dataclass
class GovernmentOverview:
    """Requests awaiting a decision and the latest drafts."""

    pending_requests: list = field(default_factory=list)
    drafts: list = field(default_factory=list)
    draft_count: int = 0


@dataclass
class AggregatorOverview:
    """The organisation's packages and load, the best-ranked packages it may request (`aggregator_match.Match`
    items), how many it may request in all, and its open requests."""

    organisation: object = None
    own: list = field(default_factory=list)
    own_count: int = 0
    available: list = field(default_factory=list)
    available_count: int = 0
    requested_ids: set = field(default_factory=set)
    load: object = None


def _count(query):
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def packages_query(status=None):
    """Packages for government's list, newest first, optionally of one status."""
    query = (
        select(Package).options(joinedload(Package.rw).joinedload(RW.kelurahan), joinedload(Package.tier),
                                joinedload(Package.aggregator))
        .order_by(Package.created_at.desc(), Package.id.desc())
    )
    if status:
        query = query.where(Package.status == status)
    return query


def rws_query(text=None):
    """RWs by kelurahan code, then number; `text` matches a kelurahan name or code, or the RW's name."""
    query = (
        select(RW).join(Region, RW.kelurahan_id == Region.id)
        .options(joinedload(RW.kelurahan), joinedload(RW.kota)).order_by(Region.code, RW.number)
    )
    text = (text or "").strip()[:100]
    if text:
        lowered = text.lower()
        query = query.where(or_(func.lower(Region.name).contains(lowered, autoescape=True),
                                Region.code.startswith(text, autoescape=True),
                                func.lower(RW.name).contains(lowered, autoescape=True)))
    return query


def government_overview():
    """The government start page."""
    drafts = packages_query(PackageStatus.DRAFT)
    return GovernmentOverview(
        pending_requests=assignments.pending_requests(),
        drafts=db.session.scalars(drafts.limit(SHORT_LIST)).unique().all(),
        draft_count=_count(drafts),
    )


def aggregator_overview(organisation):
    """The aggregator start page (empty when the account has no organisation)."""
    if organisation is None:
        return AggregatorOverview()
    own = assignments.organisation_packages_query(organisation)
    ranked = aggregator_match.rank(organisation, per_page=TOP_MATCHES)
    return AggregatorOverview(
        organisation=organisation,
        own=db.session.scalars(own.limit(SHORT_LIST)).unique().all(),
        own_count=_count(own),
        available=ranked.items,
        available_count=ranked.total,
        requested_ids=assignments.open_request_package_ids(organisation),
        load=ranked.load,
    )


def rw_assessments(rw):
    """An RW's assessments, newest first."""
    return db.session.scalars(
        select(SlumAssessment).where(SlumAssessment.rw_id == rw.id)
        .order_by(SlumAssessment.assessed_on.desc(), SlumAssessment.id.desc())
    ).all()


def rw_packages(rw):
    """An RW's packages, newest first, with their tier."""
    return db.session.scalars(
        select(Package).where(Package.rw_id == rw.id).options(joinedload(Package.tier))
        .order_by(Package.created_at.desc(), Package.id.desc())
    ).all()
