"""Writing to the append-only ledger. Every money or status change calls `record`."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerEntry


def record(action, subject, actor=None, package_id=None, before=None, after=None, committed=0,
           received=0, spent=0, reason=None, data=None):
    """Add one entry to the current transaction; the caller commits it with the change itself."""
    entry = LedgerEntry(
        action=action,
        subject_type=subject.__tablename__,
        subject_id=subject.id,
        actor_id=getattr(actor, "id", actor),
        package_id=package_id,
        before=str(before) if before is not None else None,
        after=str(after) if after is not None else None,
        committed_delta=committed,
        received_delta=received,
        spent_delta=spent,
        reason=reason,
        data=data,
    )
    db.session.add(entry)
    return entry


def package_totals_from_ledger(package_id=None):
    """{package_id: (committed, received, spent)} summed from the ledger alone."""
    query = select(
        LedgerEntry.package_id,
        func.coalesce(func.sum(LedgerEntry.committed_delta), 0),
        func.coalesce(func.sum(LedgerEntry.received_delta), 0),
        func.coalesce(func.sum(LedgerEntry.spent_delta), 0),
    ).where(LedgerEntry.package_id.is_not(None)).group_by(LedgerEntry.package_id)
    if package_id is not None:
        query = query.where(LedgerEntry.package_id == package_id)
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in db.session.execute(query)}
