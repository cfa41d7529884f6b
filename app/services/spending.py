"""Spending (realisasi) per work item, in the ledger."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.extensions import db
from app.models import Expenditure, Package
from app.services import ledger


class SpendingError(ValueError):
    """Spending the rules refuse."""


def record_expenditure(package, work_item, amount, spent_on, description, actor, receipt=None):
    """Record money spent on one item of the package; the caller commits."""
    if work_item.package_id != package.id:
        raise SpendingError(_l("That work item is not part of this package."))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise SpendingError(_l("The amount must be a whole number of rupiah above zero."))
    expenditure = Expenditure(package_id=package.id, work_item_id=work_item.id, amount=amount, spent_on=spent_on,
                              description=description.strip(), recorded_by_id=actor.id,
                              receipt_filename=receipt)
    db.session.add(expenditure)
    db.session.flush()
    db.session.execute(update(Package).where(Package.id == package.id).values(spent=Package.spent + amount)
                       .execution_options(synchronize_session=False))
    ledger.record("expenditure.recorded", expenditure, actor=actor, package_id=package.id, spent=amount,
                  data={"work_item_id": work_item.id})
    return expenditure
