"""Packages and their RAB: the estimate is the sum of the work items and must fit the tier.

Costs and work items change only while a package is a draft; after publishing, collaborators
pledge against the estimate, so only the schedule and the description may still change.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain import WORK_ASPECTS, PackageStatus, PledgeStatus
from app.extensions import db
from app.models import Package, Pledge, WorkItem
from app.money import rupiah
from app.services import ledger, lifecycle, pledging

MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_COST = 100_000_000_000  # Rp 100 M for one unit is already beyond any RW work item
MAX_ITEMS = 100
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_ITEM_DESCRIPTION = 300
MAX_UNIT = 20
CLOSED = (PackageStatus.COMPLETED, PackageStatus.CANCELLED)


class PackageError(ValueError):
    """A package the rules refuse; `field` names the offending input."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclass
class ItemInput:
    """One RAB line as entered."""

    aspect: str
    description: str
    quantity: Decimal | str | int
    unit: str
    unit_cost: int


def subtotal(quantity, unit_cost):
    """quantity × unit cost in whole rupiah, rounded half up."""
    return int((Decimal(str(quantity)) * unit_cost).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def build_items(inputs):
    """Validate RAB lines and return WorkItem objects (not yet attached)."""
    if not inputs:
        raise PackageError(_l("A package needs at least one work item."), field="items")
    if len(inputs) > MAX_ITEMS:
        raise PackageError(_l("A package has at most %(n)d work items.", n=MAX_ITEMS), field="items")
    items = []
    for position, line in enumerate(inputs):
        if line.aspect not in WORK_ASPECTS:
            raise PackageError(_l("Unknown aspect."), field=f"items-{position}-aspect")
        try:
            quantity = Decimal(str(line.quantity))
        except InvalidOperation:
            raise PackageError(_l("Quantity must be a number."), field=f"items-{position}-quantity") from None
        if not (0 < quantity <= MAX_QUANTITY) or quantity != quantity.quantize(Decimal("0.01")):
            raise PackageError(
                _l("Quantity must be more than 0 and no more than %(max)s, with at most two decimals.",
                   max=format_decimal(MAX_QUANTITY)),
                field=f"items-{position}-quantity",
            )
        if not isinstance(line.unit_cost, int) or not 0 <= line.unit_cost <= MAX_UNIT_COST:
            raise PackageError(_l("Unit cost must be a whole rupiah amount."), field=f"items-{position}-unit_cost")
        if not 0 < len((line.description or "").strip()) <= MAX_ITEM_DESCRIPTION:
            raise PackageError(_l("Describe the work in at most %(n)d characters.", n=MAX_ITEM_DESCRIPTION),
                               field=f"items-{position}-description")
        if not 0 < len((line.unit or "").strip()) <= MAX_UNIT:
            raise PackageError(_l("Give the unit in at most %(n)d characters.", n=MAX_UNIT),
                               field=f"items-{position}-unit")
        items.append(WorkItem(
            position=position, aspect=line.aspect, description=line.description.strip(),
            quantity=quantity, unit=line.unit.strip(), unit_cost=line.unit_cost,
            subtotal=subtotal(quantity, line.unit_cost),
        ))
    return items


PRINCIPAL_SHARE = 10  # percent of the estimate an aspect needs to count as one the package works on


def aspect_bit(aspect):
    """The bit of `aspect` in a package's aspect mask (its position in WORK_ASPECTS)."""
    return 1 << list(WORK_ASPECTS).index(aspect)


def aspect_mask(costs):
    """Bits of the aspects taking at least PRINCIPAL_SHARE % of the total of `costs` ((aspect, subtotal) pairs):
    what the package mainly works on, for matching. The largest aspect always counts."""
    per_aspect = {}
    for aspect, subtotal in costs:
        per_aspect[aspect] = per_aspect.get(aspect, 0) + subtotal
    total = sum(per_aspect.values())
    if not total:
        return 0
    largest = max(per_aspect, key=per_aspect.get)
    return sum(aspect_bit(aspect) for aspect, cost in per_aspect.items()
               if aspect == largest or 100 * cost >= PRINCIPAL_SHARE * total)


def check_estimate_in_tier(estimate, tier):
    """Refuse an estimate outside the tier's cost range, saying the range."""
    if not tier.min_cost <= estimate <= tier.max_cost:
        raise PackageError(
            _l("The estimate %(estimate)s is outside the %(tier)s range of %(low)s to %(high)s.",
               estimate=rupiah(estimate), tier=tier.name, low=rupiah(tier.min_cost), high=rupiah(tier.max_cost)),
            field="items",
        )


def estimate_of(inputs):
    """The running total of the RAB lines that can already be costed (others count as nothing)."""
    total = 0
    for line in inputs:
        try:
            if line.quantity is not None and isinstance(line.unit_cost, int):
                total += subtotal(line.quantity, line.unit_cost)
        except (InvalidOperation, ValueError):
            continue
    return total


def _check_texts(title, description):
    if not 0 < len((title or "").strip()) <= MAX_TITLE:
        raise PackageError(_l("Give a title of at most %(n)d characters.", n=MAX_TITLE), field="title")
    if len(description or "") > MAX_DESCRIPTION:
        raise PackageError(_l("The description has at most %(n)d characters.", n=MAX_DESCRIPTION),
                           field="description")


def create_package(rw, tier, title, items, actor=None, description=None, aggregator=None,
                   planned_start=None, planned_end=None):
    """A draft package with its RAB; the caller commits."""
    _check_texts(title, description)
    work_items = build_items(items)
    estimate = sum(item.subtotal for item in work_items)
    check_estimate_in_tier(estimate, tier)
    package = Package(
        rw=rw, tier=tier, title=title.strip(), description=description, aggregator=aggregator,
        status=PackageStatus.DRAFT, estimate=estimate, items=work_items,
        aspect_mask=aspect_mask((item.aspect, item.subtotal) for item in work_items),
        created_by_id=getattr(actor, "id", None), planned_start=planned_start, planned_end=planned_end,
    )
    db.session.add(package)
    db.session.flush()
    ledger.record("package.created", package, actor=actor, package_id=package.id, after=PackageStatus.DRAFT,
                  data={"estimate": estimate})
    return package


def update_draft(package, tier, title, items, actor=None, description=None):
    """Replace a draft's tier, title, description and RAB; refused once published. The caller commits."""
    if package.status != PackageStatus.DRAFT:
        raise PackageError(_l("Costs and work items can only change while the package is a draft."))
    _check_texts(title, description)
    work_items = build_items(items)
    estimate = sum(item.subtotal for item in work_items)
    check_estimate_in_tier(estimate, tier)
    before = package.estimate
    package.items = work_items  # the old lines are deleted with the orphan cascade
    package.tier = tier
    package.title = title.strip()
    package.description = (description or "").strip() or None
    package.estimate = estimate
    package.aspect_mask = aspect_mask((item.aspect, item.subtotal) for item in work_items)
    db.session.flush()
    ledger.record("package.revised", package, actor=actor, package_id=package.id, before=before, after=estimate,
                  data={"tier": tier.code, "items": len(work_items)})
    return package


def publish_package(package, actor=None):
    """Open a draft for pledges: it needs work items and an estimate inside its tier. The caller commits."""
    if not package.items:
        raise PackageError(_l("Add work items before publishing the package."), field="items")
    check_estimate_in_tier(package.estimate, package.tier)
    return lifecycle.transition(package, PackageStatus.PUBLISHED, actor=actor)


def update_schedule(package, planned_start, planned_end, description, actor=None):
    """The managing aggregator (or government) sets the planned dates and the description; never costs.

    The caller commits.
    """
    if package.status in CLOSED:
        raise PackageError(_l("A completed or cancelled package can no longer change."))
    if planned_start and planned_end and planned_end < planned_start:
        raise PackageError(_l("The planned end cannot be before the planned start."), field="planned_end")
    if len(description or "") > MAX_DESCRIPTION:
        raise PackageError(_l("The description has at most %(n)d characters.", n=MAX_DESCRIPTION),
                           field="description")
    package.planned_start = planned_start
    package.planned_end = planned_end
    package.description = (description or "").strip() or None
    return package


def _open_pledges(package):
    return db.session.scalars(
        select(Pledge).where(Pledge.package_id == package.id, Pledge.status == PledgeStatus.PLEDGED)
        .order_by(Pledge.id)
    ).all()


def cancel_package(package, reason, actor=None):
    """Cancel a package with a reason and release its unreceived pledges, in one transaction; commits.

    The status changes first: once that UPDATE has run, the pledge guard (which requires an open
    package) refuses new pledges, so every pledge still open is found and released before the
    commit. Money already received stays recorded against the package.
    """
    reason = (reason or "").strip()
    if not reason:
        raise lifecycle.TransitionError(_l("Give a reason for cancelling the package."))
    if not lifecycle.allowed(package.status, PackageStatus.CANCELLED):
        raise lifecycle.TransitionError(_l("A completed or cancelled package cannot be cancelled."))
    lifecycle.transition(package, PackageStatus.CANCELLED, actor=actor, reason=reason)
    db.session.flush()
    for pledge in _open_pledges(package):
        # A pledge confirmed as received meanwhile is not released: that money stays.
        pledging.release_pledge(pledge, actor, reason=f"Package cancelled: {reason}")
    db.session.commit()
    return package
