"""Who manages a package: government assigns an aggregator organisation, directly or by approving
an aggregator's request for an unassigned package in its operating regions."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.db_types import utcnow
from app.domain import OrganisationKind, PackageStatus
from app.extensions import db
from app.models import RW, AssignmentRequest, AssignmentStatus, Organisation, Package, Region, organisation_regions
from app.services import ledger

# Packages an aggregator may ask for: open or funded, and nobody manages them yet.
REQUESTABLE = (PackageStatus.PUBLISHED, PackageStatus.FUNDED)
CLOSED = (PackageStatus.COMPLETED, PackageStatus.CANCELLED)
MAX_NOTE = 500
MAX_REASON = 1000


class AssignmentError(ValueError):
    """An assignment or request the rules refuse; `field` names the offending input."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def _operating_region_ids(organisation):
    return select(organisation_regions.c.region_id).where(organisation_regions.c.organisation_id == organisation.id)


def in_operating_regions(organisation):
    """SQL condition on RW: its kelurahan, kecamatan, kota, or the province above its kota is one of the
    organisation's regions."""
    regions = _operating_region_ids(organisation)
    kotas_in_provinces = select(Region.id).where(Region.parent_id.in_(regions))
    return or_(RW.kota_id.in_(regions), RW.kota_id.in_(kotas_in_provinces), RW.kecamatan_id.in_(regions),
               RW.kelurahan_id.in_(regions))


def rw_in_operating_regions(rw, organisation):
    """True when the RW lies in one of the organisation's operating regions (any level)."""
    region_ids = {region.id for region in organisation.operating_regions}
    return (rw.kota_id in region_ids or rw.kecamatan_id in region_ids or rw.kelurahan_id in region_ids
            or (rw.kota is not None and rw.kota.parent_id in region_ids))


def _with_place():
    return (joinedload(Package.rw).joinedload(RW.kelurahan), joinedload(Package.rw).joinedload(RW.kota),
            joinedload(Package.tier))


def unassigned_packages_query(organisation):
    """Open or funded packages with no aggregator in the organisation's regions, neediest first."""
    return (
        select(Package).join(RW, Package.rw_id == RW.id)
        .where(Package.aggregator_id.is_(None), Package.status.in_(REQUESTABLE), in_operating_regions(organisation))
        .options(*_with_place())
        .order_by(RW.slum_score.desc().nulls_last(), Package.id)
    )


def organisation_packages_query(organisation):
    """The packages an organisation manages, newest first."""
    return (
        select(Package).where(Package.aggregator_id == organisation.id)
        .options(*_with_place()).order_by(Package.created_at.desc(), Package.id.desc())
    )


def pending_requests(limit=100):
    """Open requests, oldest first, with their package and organisation loaded."""
    return db.session.scalars(
        select(AssignmentRequest).where(AssignmentRequest.status == AssignmentStatus.REQUESTED)
        .options(joinedload(AssignmentRequest.organisation), joinedload(AssignmentRequest.requested_by),
                 joinedload(AssignmentRequest.package).options(*_with_place()))
        .order_by(AssignmentRequest.created_at, AssignmentRequest.id).limit(limit)
    ).all()


def requests_for_package(package):
    """Every request for one package, newest first."""
    return db.session.scalars(
        select(AssignmentRequest).where(AssignmentRequest.package_id == package.id)
        .options(selectinload(AssignmentRequest.organisation))
        .order_by(AssignmentRequest.created_at.desc(), AssignmentRequest.id.desc())
    ).all()


def open_request_package_ids(organisation):
    """Ids of packages the organisation has asked for and government has not decided yet."""
    return set(db.session.scalars(
        select(AssignmentRequest.package_id).where(AssignmentRequest.organisation_id == organisation.id,
                                                   AssignmentRequest.status == AssignmentStatus.REQUESTED)
    ))


def assignable_organisations():
    """Verified aggregator organisations, by name."""
    return db.session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.AGGREGATOR, Organisation.verified.is_(True))
        .order_by(Organisation.name)
    ).all()


def _check_assignable(package, organisation):
    if package.status in CLOSED:
        raise AssignmentError(_l("A completed or cancelled package cannot change aggregator."))
    if organisation is None or organisation.kind != OrganisationKind.AGGREGATOR or not organisation.verified:
        raise AssignmentError(_l("Choose a verified aggregator organisation."), field="organisation_id")


def _settle_open_requests(package, organisation, actor):
    """Assigning decides every open request for the package: the chosen organisation's is approved."""
    decided = {"decided_by_id": getattr(actor, "id", None), "decided_at": utcnow()}
    open_for_package = (AssignmentRequest.package_id == package.id,
                        AssignmentRequest.status == AssignmentStatus.REQUESTED)
    db.session.execute(
        update(AssignmentRequest).where(*open_for_package, AssignmentRequest.organisation_id == organisation.id)
        .values(status=AssignmentStatus.APPROVED, **decided).execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(AssignmentRequest).where(*open_for_package)
        .values(status=AssignmentStatus.REJECTED, reason="Another organisation was assigned.", **decided)
        .execution_options(synchronize_session=False)
    )


def _set_aggregator(package, before, organisation):
    """Compare-and-set, so two officers deciding at once cannot both assign the package."""
    current = Package.aggregator_id.is_(None) if before is None else Package.aggregator_id == before
    result = db.session.execute(
        update(Package).where(Package.id == package.id, current, Package.status.not_in(CLOSED))
        .values(aggregator_id=organisation.id).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AssignmentError(_l("The package changed in the meantime. Please reload it and try again."))


def assign_aggregator(package, organisation, actor=None, reason=None):
    """Make `organisation` the package's aggregator and write it in the ledger; commits."""
    _check_assignable(package, organisation)
    if package.aggregator_id == organisation.id:
        raise AssignmentError(_l("%(name)s already manages this package.", name=organisation.name),
                              field="organisation_id")
    before = package.aggregator_id
    _set_aggregator(package, before, organisation)
    _settle_open_requests(package, organisation, actor)
    ledger.record("package.assigned", package, actor=actor, package_id=package.id, before=before,
                  after=organisation.id, reason=(reason or "").strip() or None,
                  data={"organisation": organisation.name})
    db.session.commit()
    return package


def request_package(package, user, note=None):
    """The user's aggregator organisation asks to manage an unassigned package; commits."""
    organisation = user.organisation
    note = (note or "").strip() or None
    if organisation is None or organisation.kind != OrganisationKind.AGGREGATOR:
        raise AssignmentError(_l("Only staff of an aggregator organisation can request packages."))
    if not organisation.verified:
        raise AssignmentError(_l("Your organisation must be verified before it can request packages."))
    if package.aggregator_id is not None or package.status not in REQUESTABLE:
        raise AssignmentError(_l("Only open packages without an aggregator can be requested."))
    if not rw_in_operating_regions(package.rw, organisation):
        raise AssignmentError(_l("This package is outside your organisation's operating regions."))
    if note and len(note) > MAX_NOTE:
        raise AssignmentError(_l("Keep the note to %(n)d characters.", n=MAX_NOTE), field="note")
    if package.id in open_request_package_ids(organisation):
        raise AssignmentError(_l("Your organisation has already requested this package."))
    request = AssignmentRequest(package_id=package.id, organisation_id=organisation.id, requested_by_id=user.id,
                                note=note, status=AssignmentStatus.REQUESTED)
    db.session.add(request)
    try:
        db.session.commit()
    except IntegrityError:  # a simultaneous identical request won the unique index
        db.session.rollback()
        raise AssignmentError(_l("Your organisation has already requested this package.")) from None
    return request


def _claim_request(request, status, actor, reason=None):
    """Decide a request only if it is still open (guards double clicks and two officers at once)."""
    result = db.session.execute(
        update(AssignmentRequest)
        .where(AssignmentRequest.id == request.id, AssignmentRequest.status == AssignmentStatus.REQUESTED)
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AssignmentError(_l("This request has already been decided."))


def approve_request(request, actor):
    """Government approves: the organisation manages the package (ledger entry); commits."""
    if not request.is_open:
        raise AssignmentError(_l("This request has already been decided."))
    package, organisation = request.package, request.organisation
    if package.aggregator_id is not None:
        raise AssignmentError(_l("The package already has an aggregator; change it from the package instead."))
    _check_assignable(package, organisation)
    _claim_request(request, AssignmentStatus.APPROVED, actor)
    _set_aggregator(package, None, organisation)
    _settle_open_requests(package, organisation, actor)
    ledger.record("package.assigned", package, actor=actor, package_id=package.id, before=None,
                  after=organisation.id, reason=f"Request {request.id} approved",
                  data={"organisation": organisation.name, "request_id": request.id})
    db.session.commit()
    return request


def reject_request(request, actor, reason=None):
    """Government rejects a request, optionally saying why; commits."""
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        raise AssignmentError(_l("Keep the reason to %(n)d characters.", n=MAX_REASON), field="reason")
    _claim_request(request, AssignmentStatus.REJECTED, actor, reason)
    db.session.commit()
    return request
