"""Spending (realisasi) per work item, in the ledger.

An aggregator spends what collaborators' money brought in: the running `spent` total may not pass
`received`. The guard is one conditional UPDATE, so two clerks recording at once cannot overspend.
Callers commit; a receipt file is written into `stored` so a failed commit can remove it.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.domain import PackageStatus
from app.extensions import db
from app.models import Expenditure, Package, WorkItem
from app.money import rupiah
from app.services import ledger, uploads

# A published package may hold received money (a cancelled pledge reopened it), so it may spend it too.
SPENDABLE = (PackageStatus.PUBLISHED, PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED)
MAX_DESCRIPTION = 300


class SpendingError(ValueError):
    """Spending the rules refuse; `field` names the form field to blame."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def _check(package, work_item, amount, spent_on, description):
    if package.status not in SPENDABLE:
        raise SpendingError(_l("Spending is recorded on published packages that are not cancelled."))
    if work_item is None or work_item.package_id != package.id:
        raise SpendingError(_l("That work item is not part of this package."), field="work_item_id")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise SpendingError(_l("The amount must be a whole number of rupiah above zero."), field="amount")
    if not isinstance(spent_on, date):
        raise SpendingError(_l("Give the date of the spending."), field="spent_on")
    if not (description or "").strip():
        raise SpendingError(_l("Say what was bought or paid for."), field="description")
    if len(description.strip()) > MAX_DESCRIPTION:
        raise SpendingError(_l("Use at most %(n)d characters.", n=MAX_DESCRIPTION), field="description")


def record_expenditure(package, work_item, amount, spent_on, description, actor, receipt=None, folder=None,
                       stored=None):
    """Record money spent on one item of the package, with an optional prepared receipt. Caller commits."""
    _check(package, work_item, amount, spent_on, description)
    moved = db.session.execute(
        update(Package).where(Package.id == package.id, Package.spent + amount <= Package.received)
        .values(spent=Package.spent + amount).execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        db.session.refresh(package, ["spent", "received"])
        raise SpendingError(_l("Only money received can be spent: %(left)s of the %(received)s received is left.",
                               left=rupiah(max(package.received - package.spent, 0)),
                               received=rupiah(package.received)), field="amount")
    filename = content_type = None
    if receipt is not None:
        filename = uploads.save_receipt(folder, receipt, stored if stored is not None else uploads.Stored())
        content_type = receipt.content_type
    expenditure = Expenditure(package_id=package.id, work_item_id=work_item.id, amount=amount, spent_on=spent_on,
                              description=description.strip(), recorded_by_id=actor.id,
                              receipt_filename=filename, receipt_content_type=content_type)
    db.session.add(expenditure)
    db.session.flush()
    db.session.refresh(package, ["spent"])
    ledger.record("expenditure.recorded", expenditure, actor=actor, package_id=package.id, spent=amount,
                  data={"work_item_id": work_item.id})
    return expenditure


def post_expenditure(package, work_item, amount, spent_on, description, actor, receipt_file, folder, max_bytes):
    """The whole submission: check the receipt, record the spending and commit; raises UploadError or
    SpendingError with nothing written, and removes the receipt file if the commit fails."""
    receipt = uploads.prepare_receipt(receipt_file, max_bytes)
    stored = uploads.Stored()
    try:
        expenditure = record_expenditure(package, work_item, amount, spent_on, description, actor, receipt=receipt,
                                         folder=folder, stored=stored)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        stored.discard()
        raise
    return expenditure


@dataclass
class ItemSpending:
    """A work item's budget against what was spent on it."""

    item: WorkItem
    spent: int

    @property
    def left(self):
        """Budget not yet spent (negative when overspent)."""
        return self.item.subtotal - self.spent

    @property
    def spent_pct(self):
        """Share of the budget spent, whole percent (may pass 100)."""
        return 100 * self.spent // self.item.subtotal if self.item.subtotal else 0


def by_item(package):
    """Budget and spending per work item of a loaded package, in RAB order: one grouped query."""
    sums = dict(db.session.execute(
        select(Expenditure.work_item_id, func.sum(Expenditure.amount))
        .where(Expenditure.package_id == package.id).group_by(Expenditure.work_item_id)
    ).all())
    return [ItemSpending(item, int(sums.get(item.id) or 0)) for item in package.items]


def expenditures(package_id):
    """The package's spending lines, newest first, with their work items."""
    return db.session.scalars(
        select(Expenditure).where(Expenditure.package_id == package_id).options(joinedload(Expenditure.work_item))
        .order_by(Expenditure.spent_on.desc(), Expenditure.id.desc())
    ).all()
