"""Commands behind the management pages: each one validates, writes and commits as a single
transaction, or rolls back and writes nothing. The rules themselves live in the domain services
(regions, packages); these add the transaction boundary the web pages need."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.services import packages, regions


@dataclass
class RWInput:
    """An RW as entered on the form."""

    kelurahan: object
    number: int
    lat: float
    lon: float
    households: int = 0
    population: int = 0
    area_ha: float = 0.0
    name: str | None = None
    approximate: bool = True


@dataclass
class AssessmentInput:
    """A slum assessment as entered: the sixteen shares and the record's verified facts."""

    shares: dict
    assessed_on: date
    is_baseline: bool = False
    source: str | None = None
    verified_area_ha: float | None = None
    buildings: int | None = None
    population: int | None = None
    households: int | None = None
    ideal_road_length_m: float | None = None
    ideal_drain_length_m: float | None = None


def _atomically(work):
    """Run `work`, commit its writes, or roll them all back and re-raise."""
    try:
        result = work()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def save_rw(rw, data):
    """Create an RW (when `rw` is None) or update it; returns the RW. Raises regions.RegionError."""
    fields = {"lat": data.lat, "lon": data.lon, "households": data.households, "population": data.population,
              "area_ha": data.area_ha, "name": (data.name or "").strip() or None, "approximate": data.approximate}

    def work():
        if rw is None:
            created = regions.create_rw(data.kelurahan, data.number, **fields)
            db.session.flush()
            return created
        updated = regions.update_rw(rw, data.kelurahan, data.number, **fields)
        db.session.flush()
        return updated

    try:
        return _atomically(work)
    except IntegrityError:  # another request took the same RW number a moment ago
        raise regions.RegionError(_l("RW %(number)s already exists in %(kelurahan)s.", number=f"{data.number:02d}",
                                     kelurahan=data.kelurahan.name), field="number") from None


def save_assessment(rw, data, actor):
    """Record a slum assessment; the score and level are computed, the RW's level follows the latest."""
    facts = {name: getattr(data, name) for name in (
        "source", "verified_area_ha", "buildings", "population", "households", "ideal_road_length_m",
        "ideal_drain_length_m")}
    facts["source"] = (facts["source"] or "").strip() or None

    def work():
        assessment = regions.record_assessment(rw, data.shares, assessed_on=data.assessed_on,
                                               is_baseline=data.is_baseline, recorded_by=actor, **facts)
        db.session.flush()
        return assessment

    return _atomically(work)


def draft_package(rw, tier, title, items, actor, description=None):
    """Create a draft package with its RAB. Raises packages.PackageError."""
    return _atomically(lambda: packages.create_package(rw, tier, title, items, actor=actor,
                                                       description=(description or "").strip() or None))


def revise_draft(package, tier, title, items, actor, description=None):
    """Replace a draft's tier, texts and RAB. Raises packages.PackageError."""
    return _atomically(lambda: packages.update_draft(package, tier, title, items, actor=actor,
                                                     description=description))


def publish(package, actor):
    """Open a draft for pledges. Raises packages.PackageError or lifecycle.TransitionError."""
    return _atomically(lambda: packages.publish_package(package, actor=actor))


def reschedule(package, planned_start, planned_end, description, actor):
    """Set the planned dates and description of a package. Raises packages.PackageError."""
    return _atomically(lambda: packages.update_schedule(package, planned_start, planned_end, description,
                                                        actor=actor))
