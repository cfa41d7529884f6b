"""The package life cycle: which status may follow which, and who moved it, in the ledger.

draft → published → funded → in_progress → completed; cancelled from any open status.
A cancellation of a pledge that reopens a gap moves funded back to published.
"""
from flask_babel import lazy_gettext as _l

from app import events
from app.db_types import utcnow
from app.domain import PACKAGE_STATUS_LABELS
from app.domain import PackageStatus as S
from app.services import ledger

TRANSITIONS = {
    S.DRAFT: {S.PUBLISHED, S.CANCELLED},
    S.PUBLISHED: {S.FUNDED, S.CANCELLED},
    S.FUNDED: {S.PUBLISHED, S.IN_PROGRESS, S.CANCELLED},
    S.IN_PROGRESS: {S.COMPLETED, S.CANCELLED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}
# Timestamp column set when a package enters a status.
STAMPS = {
    S.PUBLISHED: "published_at",
    S.FUNDED: "funded_at",
    S.IN_PROGRESS: "started_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
}


class TransitionError(ValueError):
    """A status change the life cycle does not allow."""


def allowed(current, target):
    """True when `target` may follow `current`."""
    return S(target) in TRANSITIONS[S(current)]


def transition(package, target, actor=None, reason=None):
    """Move a package to `target`, stamp the time and write the ledger; the caller commits."""
    target = S(target)
    current = S(package.status)
    if not allowed(current, target):
        raise TransitionError(
            _l("A package cannot go from “%(current)s” to “%(target)s”.", current=PACKAGE_STATUS_LABELS[current],
               target=PACKAGE_STATUS_LABELS[target])
        )
    if target == S.CANCELLED and not (reason or "").strip():
        raise TransitionError(_l("Give a reason for cancelling the package."))
    package.status = target
    stamp = STAMPS.get(target)
    if stamp:
        setattr(package, stamp, utcnow())
    if target == S.CANCELLED:
        package.cancel_reason = reason.strip()
    ledger.record("package.status", package, actor=actor, package_id=package.id, before=current,
                  after=target, reason=reason)
    events.package_status_changed.send(package, actor=actor, before=current, after=target)
    return package
