"""Pledging: commit money to a package without ever over-funding it, even under concurrency.

The guard is one conditional UPDATE of the package row that adds the amount only while the
package is open and the rules of its tier hold. It is atomic on both databases: PostgreSQL
locks the row and re-checks the condition after a concurrent writer commits; SQLite takes
its write lock at the UPDATE (pysqlite starts the transaction there), so no two writers
interleave. Nothing is read-then-written, so `FOR UPDATE` (a no-op on SQLite) is not needed.
"""
import hashlib
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app import events
from app.db_types import utcnow
from app.domain import PackageStatus, PledgeStatus
from app.extensions import db
from app.models import Package, Pledge, WorkItem
from app.money import rupiah
from app.services import ledger, lifecycle

MAX_PLEDGE = 10**15  # far above any package; stops absurd input before it reaches the database


class PledgeError(ValueError):
    """A pledge the rules refuse. `code` is 'invalid' (bad input) or 'conflict' (state)."""

    def __init__(self, message, code="invalid", field=None):
        super().__init__(message)
        self.code = code
        self.field = field


def validate_amount(amount):
    """A positive whole rupiah amount within reason."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise PledgeError(_l("The amount must be a whole number of rupiah."), field="amount")
    if amount <= 0:
        raise PledgeError(_l("The amount must be more than zero."), field="amount")
    if amount > MAX_PLEDGE:
        raise PledgeError(_l("The amount is far larger than any package."), field="amount")


class _Refused(Exception):
    """The guarded UPDATE matched no row; the caller rolls back, then explains."""

    def __init__(self, package, tier, amount):
        super().__init__(package.id)
        self.package, self.tier, self.amount = package, tier, amount

    def explain(self):
        """The PledgeError, read from the package as it is after the rollback."""
        return _explain_refusal(db.session.get(Package, self.package.id), self.tier, self.amount)


def _place(package, collaborator, amount, work_item_id=None, anonymous=False, message=None,
           idempotency_key=None, fingerprint=None):
    """Add the pledge inside the current transaction, or raise _Refused; never commits or rolls back."""
    validate_amount(amount)
    if work_item_id is not None and db.session.get(WorkItem, work_item_id) not in package.items:
        raise PledgeError(_l("That work item is not part of this package."), field="work_item_id")
    tier = package.tier
    whole = tier.whole_only
    guard = and_(
        Package.id == package.id,
        Package.status == PackageStatus.PUBLISHED,
        Package.committed + amount <= Package.estimate,
        # Whole-only tiers take one pledge of the full remaining amount; others take at least the
        # tier minimum, except a final pledge that closes the gap exactly.
        (Package.committed + amount == Package.estimate) if whole
        else or_(Package.committed + amount == Package.estimate, amount >= tier.min_pledge),
    )
    claimed = db.session.execute(
        update(Package).where(guard).values(committed=Package.committed + amount)
        .returning(Package.committed).execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        raise _Refused(package, tier, amount)
    # The row is locked by our UPDATE until commit: record its new total without re-reading it.
    set_committed_value(package, "committed", claimed.committed)

    pledge = Pledge(
        package_id=package.id, collaborator_id=collaborator.id, work_item_id=work_item_id, amount=amount,
        anonymous=anonymous, message=(message or "").strip() or None, status=PledgeStatus.PLEDGED,
        idempotency_key=idempotency_key, request_fingerprint=fingerprint,
    )
    db.session.add(pledge)
    db.session.flush()
    ledger.record("pledge.created", pledge, actor=collaborator, package_id=package.id,
                  after=PledgeStatus.PLEDGED, committed=amount)
    events.pledge_created.send(pledge, actor=collaborator)
    if package.committed == package.estimate:
        lifecycle.transition(package, PackageStatus.FUNDED, actor=collaborator,
                             reason="Commitments cover the estimate")
    return pledge


def create_pledge(package, collaborator, amount, work_item_id=None, anonymous=False, message=None,
                  idempotency_key=None, fingerprint=None):
    """Commit `amount` to `package` for `collaborator`; commits the transaction.

    Raises PledgeError('conflict') when the package is not open or the amount breaks the
    tier's rules or exceeds what remains, as decided atomically by the database.
    """
    try:
        pledge = _place(package, collaborator, amount, work_item_id, anonymous, message, idempotency_key,
                        fingerprint)
    except _Refused as refused:
        db.session.rollback()
        raise refused.explain() from None
    db.session.commit()
    return pledge


class PlanRefused(PledgeError):
    """A plan line the rules refuse now (the plan went stale); nothing of the plan was pledged."""

    def __init__(self, error, package_id):
        super().__init__(str(error), code=error.code, field=error.field)
        self.package_id = package_id


def pledge_plan(collaborator, lines, key, anonymous=False):
    """Pledge every (package_id, amount) of a plan in one transaction, all or nothing; commits.

    Each line goes through the same guarded UPDATE as a single pledge, so a plan that became stale
    (someone funded a package meanwhile) is refused as a whole and never over-funds. Packages are locked
    in id order, so two plans never deadlock. Idempotent per (collaborator, key): a retry returns the
    pledges already made. Returns (pledges, replayed)."""
    if not key or len(key) > 60 or not key.isprintable():
        raise PledgeError(_l("A plan key of 1 to 60 printable characters is required."), field="idempotency_key")
    lines = sorted(lines)
    if not lines or len({package_id for package_id, _amount in lines}) != len(lines):
        raise PledgeError(_l("A plan names each package once."), field="plan")
    keys = {package_id: f"{key}:{package_id}" for package_id, _amount in lines}
    digests = {package_id: fingerprint(package_id, amount, anonymous=anonymous) for package_id, amount in lines}
    replay = _plan_replay(collaborator, keys, digests)
    if replay:
        return replay, True
    packages = {p.id: p for p in db.session.scalars(select(Package).where(Package.id.in_(keys)))}
    pledges = []
    try:
        for package_id, amount in lines:
            package = packages.get(package_id)
            if package is None:
                raise PlanRefused(PledgeError(_l("This package is not open for pledges."), code="conflict"),
                                  package_id)
            try:
                pledges.append(_place(package, collaborator, amount, anonymous=anonymous,
                                      idempotency_key=keys[package_id], fingerprint=digests[package_id]))
            except PledgeError as error:
                raise PlanRefused(error, package_id) from None
    except _Refused as refused:
        db.session.rollback()
        raise PlanRefused(refused.explain(), refused.package.id) from None
    except PledgeError:
        db.session.rollback()
        raise
    except IntegrityError:  # the same plan key won a race a moment ago (a double click): answer with it
        db.session.rollback()
        replay = _plan_replay(collaborator, keys, digests)
        if not replay:
            raise
        return replay, True
    db.session.commit()
    return pledges, False


def _plan_replay(collaborator, keys, digests):
    """The pledges an earlier submission of the same plan made, or [] when there were none."""
    existing = db.session.scalars(select(Pledge).where(Pledge.collaborator_id == collaborator.id,
                                                       Pledge.idempotency_key.in_(keys.values()))).all()
    if existing and (len(existing) != len(keys)
                     or any(p.request_fingerprint != digests.get(p.package_id) for p in existing)):
        raise PledgeError(_l("This idempotency key was already used for a different pledge."),
                          code="idempotency_mismatch", field="idempotency_key")
    return sorted(existing, key=lambda p: p.package_id)


def fingerprint(package_id, amount, work_item_id=None, anonymous=False, message=None):
    """A digest of what a pledge request asks for, to tell a retry from a different request."""
    canonical = json.dumps(
        {"package": package_id, "amount": amount, "work_item_id": work_item_id, "anonymous": bool(anonymous),
         "message": (message or "").strip() or None},
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def pledge_idempotently(package, collaborator, key, amount, work_item_id=None, anonymous=False, message=None):
    """Create a pledge once per (collaborator, key): a retry with the same request returns the pledge
    already made. Returns (pledge, replayed). The same key for a different request is refused."""
    if not key or len(key) > 80 or not key.isprintable():
        raise PledgeError(_l("An idempotency key of 1 to 80 printable characters is required."),
                          field="idempotency_key")
    digest = fingerprint(package.id, amount, work_item_id, anonymous, message)
    existing = _pledge_with_key(collaborator.id, key)
    if existing is None:
        try:
            return create_pledge(package, collaborator, amount, work_item_id=work_item_id, anonymous=anonymous,
                                 message=message, idempotency_key=key, fingerprint=digest), False
        except IntegrityError:  # the same key won a race a moment ago: its pledge is the answer
            db.session.rollback()
            existing = _pledge_with_key(collaborator.id, key)
            if existing is None:
                raise
    if existing.request_fingerprint != digest:
        raise PledgeError(_l("This idempotency key was already used for a different pledge."),
                          code="idempotency_mismatch", field="idempotency_key")
    return existing, True


def _pledge_with_key(collaborator_id, key):
    return db.session.scalar(
        select(Pledge).where(Pledge.collaborator_id == collaborator_id, Pledge.idempotency_key == key)
    )


def _explain_refusal(package, tier, amount):
    """Why the guarded UPDATE matched no row, in words for the collaborator."""
    if package is None or package.status != PackageStatus.PUBLISHED:
        return PledgeError(_l("This package is not open for pledges."), code="conflict")
    remaining = package.estimate - package.committed
    if amount > remaining:
        return PledgeError(_l("Only %(left)s remains to be funded.", left=rupiah(remaining)),
                           code="conflict", field="amount")
    if tier.whole_only:
        return PledgeError(
            _l("%(tier)s packages are adopted whole: pledge the full %(left)s.", tier=tier.name,
               left=rupiah(remaining)), code="conflict", field="amount")
    return PledgeError(_l("The minimum pledge for %(tier)s is %(min)s.", tier=tier.name,
                          min=rupiah(tier.min_pledge)), code="conflict", field="amount")


# A pledge may be withdrawn while its package is being funded; once the work has started the money is
# counted on, so only cancelling the whole package releases it.
WITHDRAWABLE = (PackageStatus.PUBLISHED, PackageStatus.FUNDED)


def _claim_pledge(pledge_id, new_status, package_statuses=None, **values):
    """Move a pledge out of `pledged` only if it is still there (guards double clicks and races), and with
    `package_statuses` only while its package is in one of them (checked in the same UPDATE)."""
    conditions = [Pledge.id == pledge_id, Pledge.status == PledgeStatus.PLEDGED]
    if package_statuses:
        conditions.append(Pledge.package_id.in_(select(Package.id).where(Package.status.in_(package_statuses))))
    result = db.session.execute(
        update(Pledge).where(*conditions).values(status=new_status, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def confirm_received(pledge, actor, transfer_date=None, reference=None):
    """The aggregator confirms the money arrived; commits."""
    if not _claim_pledge(pledge.id, PledgeStatus.RECEIVED, received_at=utcnow(), transfer_date=transfer_date,
                         transfer_reference=reference, confirmed_by_id=actor.id):
        db.session.rollback()
        raise PledgeError(_l("Only a pledge that has not been received yet can be confirmed."), code="conflict")
    db.session.execute(
        update(Package).where(Package.id == pledge.package_id)
        .values(received=Package.received + pledge.amount).execution_options(synchronize_session=False)
    )
    ledger.record("pledge.received", pledge, actor=actor, package_id=pledge.package_id,
                  before=PledgeStatus.PLEDGED, after=PledgeStatus.RECEIVED, received=pledge.amount,
                  data={"reference": reference, "transfer_date": transfer_date and transfer_date.isoformat()})
    events.pledge_received.send(pledge, actor=actor)
    db.session.commit()
    db.session.refresh(pledge)
    return pledge


def release_pledge(pledge, actor, reason=None, package_statuses=None):
    """Within the caller's transaction: cancel a still-pledged pledge and take its amount off the
    package's commitments. False (and nothing changed) when it was received or cancelled meanwhile, or
    when its package is not in `package_statuses` (if given)."""
    if not _claim_pledge(pledge.id, PledgeStatus.CANCELLED, package_statuses, cancelled_at=utcnow(),
                         cancel_reason=reason):
        return False
    db.session.execute(
        update(Package).where(Package.id == pledge.package_id)
        .values(committed=Package.committed - pledge.amount).execution_options(synchronize_session=False)
    )
    ledger.record("pledge.cancelled", pledge, actor=actor, package_id=pledge.package_id,
                  before=PledgeStatus.PLEDGED, after=PledgeStatus.CANCELLED, committed=-pledge.amount,
                  reason=reason)
    events.pledge_cancelled.send(pledge, actor=actor, reason=reason)
    return True


def cancel_pledge(pledge, actor, reason=None):
    """Cancel a pledge not yet received while its package is being funded; reopens a funded package. Commits."""
    if not release_pledge(pledge, actor, reason, package_statuses=WITHDRAWABLE):
        db.session.rollback()
        db.session.refresh(pledge)
        if pledge.status == PledgeStatus.PLEDGED:
            raise PledgeError(_l("The work on this package has started, so the pledge can no longer be cancelled. "
                                 "Contact the aggregator."), code="conflict")
        raise PledgeError(_l("Only a pledge that has not been received yet can be cancelled."), code="conflict")
    package = db.session.get(Package, pledge.package_id)
    db.session.refresh(package)
    if package.status == PackageStatus.FUNDED and package.committed < package.estimate:
        lifecycle.transition(package, PackageStatus.PUBLISHED, actor=actor, reason="A pledge was cancelled")
    db.session.commit()
    db.session.refresh(pledge)
    return pledge


