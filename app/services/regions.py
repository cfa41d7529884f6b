"""RWs and slum assessments: writing them keeps the RW's denormalised fields true."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.domain import CRITERION_COLUMNS, RegionLevel
from app.extensions import db
from app.models import RW, Region, SlumAssessment
from app.services import scoring
from app.services.csv_export import jakarta_today


class RegionError(ValueError):
    """Bad RW or assessment input; `field` names the offending input."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def ancestors(region):
    """{level: region} for a region and every region above it."""
    found = {}
    while region is not None:
        found[region.level] = region
        region = region.parent
    return found


def _check_rw_place(kelurahan, number, rw_id=None):
    """Refuse a region that is not a kelurahan, or an RW number the kelurahan already has."""
    if kelurahan is None or kelurahan.level != RegionLevel.KELURAHAN:
        raise RegionError(_l("An RW belongs to a kelurahan."), field="kelurahan")
    query = select(RW.id).where(RW.kelurahan_id == kelurahan.id, RW.number == number)
    if rw_id is not None:
        query = query.where(RW.id != rw_id)
    if db.session.scalar(query):
        raise RegionError(_l("RW %(number)s already exists in %(kelurahan)s.", number=f"{number:02d}",
                             kelurahan=kelurahan.name), field="number")


def create_rw(kelurahan, number, lat, lon, households=0, population=0, area_ha=0.0, name=None,
              approximate=True):
    """A new RW in a kelurahan; refuses a duplicate number or a region that is not a kelurahan."""
    _check_rw_place(kelurahan, number)
    above = ancestors(kelurahan)
    rw = RW(
        kelurahan=kelurahan,
        kecamatan=above[RegionLevel.KECAMATAN],
        kota=above[RegionLevel.KABUPATEN_KOTA],
        number=number,
        name=name,
        lat=lat,
        lon=lon,
        location_approximate=approximate,
        households=households,
        population=population,
        area_ha=area_ha,
    )
    db.session.add(rw)
    return rw


def update_rw(rw, kelurahan, number, lat, lon, households=0, population=0, area_ha=0.0, name=None,
              approximate=True):
    """Change an RW's place and figures; its kecamatan and kota follow the kelurahan. The caller commits."""
    _check_rw_place(kelurahan, number, rw_id=rw.id)
    above = ancestors(kelurahan)
    rw.kelurahan = kelurahan
    rw.kecamatan = above[RegionLevel.KECAMATAN]
    rw.kota = above[RegionLevel.KABUPATEN_KOTA]
    rw.number = number
    rw.name = name
    rw.lat = lat
    rw.lon = lon
    rw.location_approximate = approximate
    rw.households = households
    rw.population = population
    rw.area_ha = area_ha
    return rw


def record_assessment(rw, shares, assessed_on=None, is_baseline=False, recorded_by=None, **facts):
    """Score the sixteen shares and store the assessment; the latest one sets the RW's level.

    `facts` are the record's measured fields (verified_area_ha, buildings, population,
    households, ideal_road_length_m, ideal_drain_length_m).
    """
    try:
        result = scoring.score(shares)
    except scoring.InvalidShare as error:
        raise RegionError(str(error), field=error.criterion) from error
    assessment = SlumAssessment(
        rw=rw,
        assessed_on=assessed_on or jakarta_today(),
        is_baseline=is_baseline,
        total_score=result.total,
        level=str(result.level),
        recorded_by_id=getattr(recorded_by, "id", None),
        **{column: float(shares[column]) for column in CRITERION_COLUMNS},
        **facts,
    )
    db.session.add(assessment)
    latest = max((a.assessed_on for a in rw.assessments if a is not assessment), default=None)
    if latest is None or assessment.assessed_on >= latest:
        rw.slum_score = result.total
        rw.slum_level = str(result.level)
    return assessment


def region_by_code(code):
    """The region with this Kemendagri code, or None."""
    return db.session.scalar(select(Region).where(Region.code == code))


def kelurahan_by_code(code):
    """The kelurahan with this Kemendagri code, or None (other levels do not count)."""
    return db.session.scalar(
        select(Region).where(Region.code == (code or "").strip(), Region.level == RegionLevel.KELURAHAN)
    )


def kelurahan_suggestions(limit=1000):
    """(code, 'name — kecamatan') for every kelurahan, or [] when there are more than `limit`.

    A form offers them as suggestions; at national scale (80,000+) people type the code instead.
    """
    count = db.session.scalar(select(func.count(Region.id)).where(Region.level == RegionLevel.KELURAHAN))
    if not count or count > limit:
        return []
    rows = db.session.execute(
        select(Region.code, Region.name, Region.parent_id).where(Region.level == RegionLevel.KELURAHAN)
        .order_by(Region.code)
    ).all()
    parents = dict(db.session.execute(
        select(Region.id, Region.name).where(Region.id.in_({row.parent_id for row in rows if row.parent_id}))
    ).all())
    return [(row.code, f"{row.name} — {parents[row.parent_id]}" if row.parent_id in parents else row.name)
            for row in rows]
