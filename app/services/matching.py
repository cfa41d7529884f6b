"""Matching collaborators to packages: an explainable ranking and a budget planner.

A package's match score (0–100) is a weighted mean of parts, each from 0 to 1, computed in SQL so that
ranking 100,000 packages is one query; only the parts that the collaborator's preferences make
meaningful take part (no budget → no affordability part, no site → no proximity part ...):

- need: 0.7 × slum score / 80 + 0.3 × households / (households + 500) — severity first, then size;
- fit: the share of the collaborator's focus aspects that the package mainly works on (aspect mask);
- affordability: 1 when the budget completes the package; for co-funded tiers budget / remaining
  when it does not (0 below the tier's minimum pledge); 0 for whole-only tiers it cannot complete;
- proximity: r² / (r² + d²) for the nearest site (d: distance, r: the site's radius; ½ at the radius);
- momentum: committed / estimate — money closes packages soonest where little is missing;
- region: 1 inside a chosen kota or kecamatan, else 0.

Hard constraints filter instead: only open (published) packages with something left to fund; chosen
tiers; chosen regions when the collaborator requires them.

The planner proposes packages to fund *completely* with a budget (a 0/1 knapsack over remaining amounts,
maximising need covered = households × slum score / 80, raised by up to half again for preference fit),
then gives what is left to the best-ranked co-funded packages.
"""
import math
from dataclasses import dataclass, field

import numpy as np
from babel.lists import format_list
from flask_babel import format_decimal, format_number, get_locale
from flask_babel import gettext as _
from sqlalchemy import Float, and_, case, cast, func, literal, or_, select

from app.domain import SLUM_LEVEL_LABELS, WORK_ASPECTS, PackageStatus
from app.extensions import db
from app.models import RW, Package, PackageTier
from app.money import rupiah_short
from app.services import catalogue
from app.services.packages import aspect_bit

# The weights of the score parts, in one place. Need leads: the programme exists for the worst-off RWs.
# Fit is next: collaborators give more, and keep giving, to what they care about. Affordability and
# proximity matter for a pledge to happen at all (CSR "ring 1" funds communities around its own site).
# Momentum and region preference break ties toward finishing packages and toward chosen areas.
WEIGHTS = {"need": 30, "fit": 20, "affordability": 15, "proximity": 15, "momentum": 10, "region": 10}
NEED_SEVERITY, NEED_HOUSEHOLDS, HOUSEHOLDS_HALF = 0.7, 0.3, 500
KM_PER_DEGREE = 111.32
MAX_SITES, MAX_REGIONS = 10, 30
DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
# Planner: amounts are counted in units of at least Rp 100.000 and at most 20,000 units per budget; the
# knapsack looks at the best CANDIDATES packages by need and the best by need per rupiah.
MIN_UNIT, MAX_UNITS, CANDIDATES = 100_000, 20_000, 400
MAX_BUDGET = 10**14


@dataclass(frozen=True)
class Site:
    """A place to fund around."""

    name: str
    lat: float
    lon: float
    radius_km: int


@dataclass(frozen=True)
class Profile:
    """Preferences as matching uses them (from the database, or from an API request)."""

    budget: int | None = None
    aspects: tuple = ()
    regions: tuple = ()  # (id, name) of kota / kecamatan
    regions_required: bool = False
    tier_ids: tuple = ()
    sites: tuple = ()

    @property
    def region_ids(self):
        """Ids of the chosen regions."""
        return [region_id for region_id, _name in self.regions]

    def applicable(self):
        """The score parts these preferences make meaningful, in WEIGHTS order."""
        present = {"need": True, "fit": bool(self.aspects), "affordability": self.budget is not None,
                   "proximity": bool(self.sites), "momentum": True, "region": bool(self.regions)}
        return [name for name in WEIGHTS if present[name]]


# --- score parts as SQL ---------------------------------------------------------------------------------

def _remaining():
    return Package.estimate - Package.committed


def _ratio(numerator, denominator):
    return cast(numerator, Float) / cast(denominator, Float)


def _larger(a, b):
    """The larger of two expressions (portable: SQLite's max(a, b) is PostgreSQL's greatest)."""
    return case((a >= b, a), else_=b)


def _tier_rules():
    """{tier id: (code, whole_only, min_pledge)}: a handful of rows, read once per call so the ranking query
    needs no join to the tiers."""
    rows = db.session.execute(select(PackageTier.id, PackageTier.code, PackageTier.whole_only,
                                     PackageTier.min_pledge)).all()
    return {row.id: (row.code, row.whole_only, row.min_pledge) for row in rows}


def _part_expressions(profile, tiers):
    """{part: SQL expression from 0 to 1} for the applicable parts."""
    households = func.coalesce(RW.households, 0)
    parts = {
        "need": NEED_SEVERITY * _ratio(func.coalesce(RW.slum_score, 0), 80)
        + NEED_HOUSEHOLDS * _ratio(households, households + HOUSEHOLDS_HALF),
        "momentum": _ratio(Package.committed, Package.estimate),
    }
    if profile.aspects:
        matched = sum((case((Package.aspect_mask.op("&")(aspect_bit(a)) != 0, 1.0), else_=0.0)
                       for a in profile.aspects), literal(0.0))
        parts["fit"] = matched / len(profile.aspects)
    if profile.budget is not None:
        remaining, budget = _remaining(), profile.budget
        # Tiers where a budget that cannot complete the package cannot pledge at all.
        blocked = [tier_id for tier_id, (_code, whole_only, min_pledge) in tiers.items()
                   if whole_only or min_pledge > budget]
        parts["affordability"] = case(
            (remaining <= budget, 1.0),
            (Package.tier_id.in_(blocked or [0]), 0.0),
            else_=budget / cast(remaining, Float),
        )
    if profile.sites:
        nearest = None
        for site in profile.sites:
            dy = (RW.lat - site.lat) * KM_PER_DEGREE
            dx = (RW.lon - site.lon) * (KM_PER_DEGREE * math.cos(math.radians(site.lat)))
            r2 = float(site.radius_km) ** 2
            closeness = r2 / (r2 + dx * dx + dy * dy)
            nearest = closeness if nearest is None else _larger(closeness, nearest)
        parts["proximity"] = nearest
    if profile.regions:
        ids = profile.region_ids
        parts["region"] = case((or_(RW.kota_id.in_(ids), RW.kecamatan_id.in_(ids)), 1.0), else_=0.0)
    return parts


def _score_expression(profile, parts):
    weights = {name: WEIGHTS[name] for name in profile.applicable()}
    total = sum(weights.values())
    return sum((parts[name] * (100.0 * weight / total) for name, weight in weights.items()), literal(0.0))


def _open_conditions(profile):
    """Hard constraints: open packages with something left, chosen tiers, required regions."""
    # `status || ''` keeps SQLite off the status index: most packages of a live programme are open, and
    # its planner, assuming an even spread of statuses, would otherwise look each one up through the index
    # instead of scanning (measured: ~25 ms more per pass at 100,000 packages).
    conditions = [Package.status.concat("") == PackageStatus.PUBLISHED, Package.committed < Package.estimate]
    if profile.tier_ids:
        conditions.append(Package.tier_id.in_(profile.tier_ids))
    if profile.regions and profile.regions_required:
        ids = profile.region_ids
        conditions.append(or_(RW.kota_id.in_(ids), RW.kecamatan_id.in_(ids)))
    return conditions


def _scored(profile, tiers, *extra_columns):
    """SELECT id, the parts, the score (and `extra_columns`) over the open packages."""
    parts = _part_expressions(profile, tiers)
    names = profile.applicable()
    score = _score_expression(profile, parts).label("score")
    query = (select(Package.id, *(parts[name].label(name) for name in names), score, *extra_columns)
             .select_from(Package).join(RW, RW.id == Package.rw_id)
             .where(and_(*_open_conditions(profile))))
    return query, score, names


def _count_open(profile):
    """How many packages pass the hard constraints (the RWs are joined only when regions filter)."""
    query = select(func.count(Package.id)).select_from(Package)
    if profile.regions and profile.regions_required:
        query = query.join(RW, RW.id == Package.rw_id)
    return db.session.scalar(query.where(and_(*_open_conditions(profile)))) or 0


# --- recommendations ------------------------------------------------------------------------------------

@dataclass
class Recommendation:
    """One ranked package, its score, its parts (0–1 each) and the reasons in words."""

    card: catalogue.PackageCard
    score: float
    parts: dict
    reasons: list
    whole_only: bool
    min_pledge: int
    nearest_site: Site | None = None
    distance_km: float | None = None

    @property
    def reason_text(self):
        """The reasons as one sentence."""
        return "; ".join(self.reasons) + "." if self.reasons else ""


@dataclass
class Recommendations:
    """A page of recommendations for a profile."""

    profile: Profile
    total: int
    page: int
    per_page: int
    items: list = field(default_factory=list)

    @property
    def pages(self):
        """Number of pages."""
        return max(1, -(-self.total // self.per_page))


def recommend(profile, page=1, per_page=DEFAULT_PER_PAGE):
    """Open packages ranked for `profile`, best first: four queries at any size (tiers, count, ranking,
    cards). The count is its own lean query: a window count would make the ranking sort every row
    instead of keeping only the top of the page."""
    tiers = _tier_rules()
    query, score, names = _scored(profile, tiers)
    total = _count_open(profile)
    rows = db.session.execute(query.order_by(score.desc(), Package.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    items = _explain(profile, rows, names, tiers)
    return Recommendations(profile=profile, total=total, page=page, per_page=per_page, items=items)


def _parts(row, names):
    """The score parts of a ranking row, rounded as they are shown."""
    return {name: round(float(getattr(row, name)), 4) for name in names}


def _explain(profile, rows, names, tiers):
    """Recommendations (cards, parts, reasons) for ranking rows, keeping their order."""
    cards = catalogue.cards_by_ids([row.id for row in rows])
    tiers = {code: (whole_only, min_pledge) for code, whole_only, min_pledge in tiers.values()}
    items = []
    for row in rows:
        card = cards[row.id]
        whole_only, min_pledge = tiers[card.tier_code]
        parts = _parts(row, names)
        item = Recommendation(card=card, score=round(float(row.score), 1), parts=parts, reasons=[],
                              whole_only=whole_only, min_pledge=min_pledge)
        if profile.sites:
            item.nearest_site, item.distance_km = nearest_site(profile.sites, card.lat, card.lon)
        item.reasons = reasons(profile, item)
        items.append(item)
    return items


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def nearest_site(sites, lat, lon):
    """(site, km) of the nearest site."""
    return min(((site, distance_km(site.lat, site.lon, lat, lon)) for site in sites), key=lambda pair: pair[1])


def reasons(profile, item):
    """Why this package is ranked where it is, in short translated phrases."""
    card, said = item.card, []
    locale = str(get_locale() or "en")
    if card.slum_score is not None:
        said.append(_("%(level)s (%(score)s/80), %(households)s households",
                      level=SLUM_LEVEL_LABELS.get(card.slum_level, _("Not assessed")), score=card.slum_score,
                      households=format_number(card.households)))
    if profile.aspects:
        matched = [str(WORK_ASPECTS[a]).lower() for a in profile.aspects if card.aspect_mask & aspect_bit(a)]
        said.append(_("%(aspects)s match your focus", aspects=format_list(matched, locale=locale))
                    if matched else _("none of your focus aspects"))
    if profile.budget is not None:
        if card.remaining <= profile.budget:
            said.append(_("%(amount)s completes it", amount=rupiah_short(card.remaining)))
        elif item.whole_only:
            said.append(_("adopted whole: needs %(amount)s, more than your budget",
                          amount=rupiah_short(card.remaining)))
        elif profile.budget < item.min_pledge:
            said.append(_("your budget is below the minimum pledge of %(amount)s",
                          amount=rupiah_short(item.min_pledge)))
        else:
            said.append(_("your budget covers %(pct)s%% of the %(amount)s still needed",
                          pct=100 * profile.budget // card.remaining, amount=rupiah_short(card.remaining)))
    if item.nearest_site is not None:
        km = format_decimal(round(item.distance_km, 1), format="#,##0.0")
        said.append(_("%(km)s km from your %(site)s site", km=km, site=item.nearest_site.name)
                    if item.distance_km > item.nearest_site.radius_km else
                    _("%(km)s km from your %(site)s site, within its %(radius)s km ring",
                      km=km, site=item.nearest_site.name, radius=item.nearest_site.radius_km))
    if card.funded_pct >= 50:
        said.append(_("already %(pct)s%% funded", pct=card.funded_pct))
    if profile.regions and item.parts.get("region"):
        said.append(_("in %(region)s, a region you chose", region=card.kecamatan if any(
            name == card.kecamatan for _id, name in profile.regions) else card.kota))
    return said


# --- the budget planner ---------------------------------------------------------------------------------

@dataclass
class PlanItem:
    """A package in a plan: the amount, whether it completes the package, and its need value."""

    recommendation: Recommendation
    amount: int
    completes: bool
    value: int

    @property
    def card(self):
        """The package card."""
        return self.recommendation.card


@dataclass
class Plan:
    """Packages to fund completely, then co-funding with the rest; what it covers."""

    budget: int
    unit: int
    items: list
    leftover: int

    @property
    def total(self):
        """Rupiah the plan pledges."""
        return sum(item.amount for item in self.items)

    @property
    def completed(self):
        """Items the plan funds completely."""
        return [item for item in self.items if item.completes]

    def covered(self, attribute):
        """Σ of a card attribute (households, population, area_ha) over completed packages."""
        return sum(getattr(item.card, attribute) or 0 for item in self.completed)


def granularity(budget):
    """The rupiah unit of the knapsack: at least MIN_UNIT, at most MAX_UNITS units per budget."""
    unit = max(MIN_UNIT, -(-budget // MAX_UNITS))
    return -(-unit // MIN_UNIT) * MIN_UNIT


def knapsack(costs, values, capacity):
    """Indices of items maximising Σ values with Σ costs ≤ capacity (0/1, integer costs ≥ 1); ties keep the
    earlier items. Dynamic programming over capacity with numpy: O(n × capacity)."""
    n = len(costs)
    best = np.zeros(capacity + 1, dtype=np.int64)
    take = np.zeros((n, capacity + 1), dtype=bool)
    for i, (cost, value) in enumerate(zip(costs, values, strict=True)):
        if cost > capacity:
            continue
        candidate = best[:-cost] + value if cost else best + value
        better = candidate > best[cost:]
        take[i, cost:] = better
        best[cost:] = np.where(better, candidate, best[cost:])
    chosen, room = [], capacity
    for i in range(n - 1, -1, -1):
        if take[i, room]:
            chosen.append(i)
            room -= costs[i]
    return sorted(chosen)


def _plan_value(parts, households, slum_score):
    """Need covered by completing the package: households × slum score / 80, raised by up to half again
    by how well it fits the preferences (mean of the fit, proximity and region parts that apply)."""
    preference = [parts[name] for name in ("fit", "proximity", "region") if name in parts]
    lift = 1 + 0.5 * (sum(preference) / len(preference) if preference else 0)
    return int(round(1000 * max(households or 0, 1) * (slum_score or 0) / 80 * lift))


def plan(profile, budget):
    """A plan for `budget`: a knapsack picks packages to complete (need covered is what it maximises),
    the rest goes to the best-ranked co-funded packages. A handful of queries at any size."""
    if not isinstance(budget, int) or isinstance(budget, bool) or not 0 < budget <= MAX_BUDGET:
        raise ValueError("budget must be a whole rupiah amount above zero")
    unit = granularity(budget)
    tiers = _tier_rules()
    query, score, names = _scored(profile, tiers)
    remaining = _remaining()
    affordable = query.add_columns(remaining.label("remaining"), RW.households.label("households"),
                                   RW.slum_score.label("slum_score")).where(remaining <= budget)
    households = func.coalesce(RW.households, 0) + 1
    need = _ratio(households * func.coalesce(RW.slum_score, 0), 80)
    rows = {}
    for order in (need.desc(), (need / cast(remaining, Float)).desc()):
        for row in db.session.execute(affordable.order_by(order, Package.id).limit(CANDIDATES)):
            rows[row.id] = row
    candidates = list(rows.values())
    values = [_plan_value(_parts(row, names), row.households, row.slum_score) for row in candidates]
    costs = [-(-int(row.remaining) // unit) for row in candidates]
    chosen = knapsack(costs, values, budget // unit)
    # Only the chosen packages are explained (cards and reasons), not every candidate.
    explained = {item.card.id: item for item in _explain(profile, [candidates[i] for i in chosen], names, tiers)}
    items = [PlanItem(explained[candidates[i].id], int(candidates[i].remaining), True, values[i]) for i in chosen]
    items.sort(key=lambda item: -item.value)
    leftover = budget - sum(item.amount for item in items)
    items += _co_fund(profile, leftover, {item.card.id for item in items}, query, score, tiers)
    return Plan(budget=budget, unit=unit, items=items, leftover=budget - sum(item.amount for item in items))


def _co_fund(profile, money, taken, query, score, tiers):
    """The best-ranked co-funded packages not yet in the plan, each given what is left (at least its tier's
    minimum pledge, at most what it still needs)."""
    open_tiers = [tier_id for tier_id, (_code, whole_only, min_pledge) in tiers.items()
                  if not whole_only and min_pledge <= money]
    if money <= 0 or not open_tiers:
        return []
    names = profile.applicable()
    rows = db.session.execute(
        query.where(Package.tier_id.in_(open_tiers), Package.id.not_in(taken or [0]))
        .order_by(score.desc(), Package.id).limit(50)).all()
    items = []
    for recommendation in _explain(profile, rows, names, tiers):
        amount = min(money, recommendation.card.remaining)
        if amount < recommendation.min_pledge and amount < recommendation.card.remaining:
            continue
        items.append(PlanItem(recommendation, amount, amount == recommendation.card.remaining,
                              _plan_value(recommendation.parts, recommendation.card.households,
                                          recommendation.card.slum_score)))
        money -= amount
        if money <= 0:
            break
    return items
