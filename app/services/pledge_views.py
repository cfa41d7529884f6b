"""What the pledge pages show: my pledges, a receipt with its ledger references, a package's pledges."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import RW, LedgerEntry, Package, Pledge, User


def my_pledges(user):
    """A query of the user's pledges with their packages, newest first (for db.paginate)."""
    return (
        select(Pledge).where(Pledge.collaborator_id == user.id)
        .options(joinedload(Pledge.package).joinedload(Package.rw).joinedload(RW.kelurahan),
                 joinedload(Pledge.work_item))
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
    )


@dataclass
class Receipt:
    """A pledge, its package and the ledger entries that record it."""

    pledge: Pledge
    entries: list


def receipt(pledge_id):
    """The pledge with everything its receipt prints, or None."""
    pledge = db.session.scalar(
        select(Pledge).where(Pledge.id == pledge_id).options(
            joinedload(Pledge.package).joinedload(Package.rw).joinedload(RW.kelurahan),
            joinedload(Pledge.package).joinedload(Package.aggregator),
            joinedload(Pledge.collaborator).joinedload(User.organisation),
            joinedload(Pledge.work_item),
        )
    )
    if pledge is None:
        return None
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.subject_type == "pledges", LedgerEntry.subject_id == pledge.id)
        .order_by(LedgerEntry.id)
    ).all()
    return Receipt(pledge, entries)


def package_pledges(package_id):
    """Every pledge of a package with its collaborator, for the managing aggregator and government."""
    return db.session.scalars(
        select(Pledge).where(Pledge.package_id == package_id)
        .options(joinedload(Pledge.collaborator).joinedload(User.organisation), joinedload(Pledge.work_item))
        .order_by(Pledge.created_at, Pledge.id)
    ).all()
