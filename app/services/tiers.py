"""Package tiers are data government edits: names, cost ranges, minimum pledge and adoption rules.

A changed range applies to packages created, revised or published from then on; packages already
open keep their estimate.
"""
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import PackageTier

MAX_COST = 10**15  # far above any programme; refuses absurd input before the database does
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


class TierError(ValueError):
    """Tier input the rules refuse; `field` names the offending input."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclass
class TierInput:
    """A tier as entered."""

    name: str
    min_cost: int
    max_cost: int
    min_pledge: int = 0
    description: str | None = None
    whole_only: bool = False
    covers_all_aspects: bool = False


def all_tiers():
    """Every tier in display order."""
    return db.session.scalars(select(PackageTier).order_by(PackageTier.sort_order, PackageTier.min_cost)).all()


def _check(data):
    if not 0 < len((data.name or "").strip()) <= 60:
        raise TierError(_l("Give a name of at most %(n)d characters.", n=60), field="name")
    if len(data.description or "") > 2000:
        raise TierError(_l("The description has at most %(n)d characters.", n=2000), field="description")
    for field in ("min_cost", "max_cost", "min_pledge"):
        value = getattr(data, field)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COST:
            raise TierError(_l("Enter a whole rupiah amount of zero or more."), field=field)
    if data.min_cost > data.max_cost:
        raise TierError(_l("The maximum cost cannot be below the minimum cost."), field="max_cost")
    if data.min_pledge > data.max_cost:
        raise TierError(_l("The minimum pledge cannot exceed the maximum cost."), field="min_pledge")


def _apply(tier, data):
    tier.name = data.name.strip()
    tier.description = (data.description or "").strip() or None
    tier.min_cost = data.min_cost
    tier.max_cost = data.max_cost
    tier.min_pledge = data.min_pledge
    tier.whole_only = bool(data.whole_only)
    tier.covers_all_aspects = bool(data.covers_all_aspects)


def create_tier(code, data):
    """A new tier with a unique short code (lower-case letters, digits, - and _); commits."""
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        raise TierError(_l("Use up to 30 lower-case letters, digits, - or _."), field="code")
    if db.session.scalar(select(PackageTier.id).where(PackageTier.code == code)):
        raise TierError(_l("A tier with this code already exists."), field="code")
    _check(data)
    last = db.session.scalar(select(func.max(PackageTier.sort_order))) or 0
    tier = PackageTier(code=code, sort_order=last + 1)
    _apply(tier, data)
    db.session.add(tier)
    db.session.commit()
    return tier


def update_tier(tier, data):
    """Change a tier's name, description, ranges and rules; commits."""
    _check(data)
    _apply(tier, data)
    db.session.commit()
    return tier
