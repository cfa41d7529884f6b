"""Saving a collaborator's matching preferences and sites, validated, in one transaction."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.domain import WORK_ASPECTS, RegionLevel
from app.extensions import db
from app.models import RW, CollaboratorSite, MatchPreference, PackageTier, Region
from app.services import matching


class PreferenceError(ValueError):
    """Preferences the rules refuse; `field` names the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclass
class SiteInput:
    """One site as typed."""

    name: str
    lat: float
    lon: float
    radius_km: int


@dataclass
class PreferenceInput:
    """Everything the preferences form holds."""

    budget: int | None = None
    aspects: list = field(default_factory=list)
    region_ids: list = field(default_factory=list)
    regions_required: bool = False
    tier_ids: list = field(default_factory=list)
    sites: list = field(default_factory=list)


def region_choices():
    """(id, label) of every kota and kecamatan that has RWs, kecamatan labelled with their kota."""
    kota_ids = select(RW.kota_id).distinct()
    kecamatan_ids = select(RW.kecamatan_id).distinct()
    kotas = db.session.execute(select(Region.id, Region.name, Region.code).where(Region.id.in_(kota_ids))).all()
    names = {kota.id: kota.name for kota in kotas}
    kecamatans = db.session.execute(select(Region.id, Region.name, Region.code, Region.parent_id)
                                    .where(Region.id.in_(kecamatan_ids))).all()
    rows = [(kota.code, kota.id, kota.name) for kota in kotas]
    rows += [(k.code, k.id, f"{names.get(k.parent_id, '')} › {k.name}") for k in kecamatans]
    return [(region_id, label) for _code, region_id, label in sorted(rows)]


def _check(data):
    if data.budget is not None and not 0 < data.budget <= matching.MAX_BUDGET:
        raise PreferenceError(_l("Enter a budget above Rp 0, or leave it empty."), field="budget")
    if any(code not in WORK_ASPECTS for code in data.aspects):
        raise PreferenceError(_l("Unknown aspect."), field="aspects")
    if len(data.region_ids) > matching.MAX_REGIONS:
        raise PreferenceError(_l("Choose at most %(n)d regions.", n=matching.MAX_REGIONS), field="region_ids")
    if len(data.sites) > matching.MAX_SITES:
        raise PreferenceError(_l("Give at most %(n)d sites.", n=matching.MAX_SITES), field="sites")
    if data.regions_required and not data.region_ids:
        raise PreferenceError(_l("Choose regions to keep to, or untick “only these regions”."),
                              field="regions_required")
    for site in data.sites:
        if not site.name.strip() or len(site.name.strip()) > 80:
            raise PreferenceError(_l("Name each site in 1 to 80 characters."), field="sites")
        if not (-90 <= site.lat <= 90 and -180 <= site.lon <= 180):
            raise PreferenceError(_l("Latitude is a number from -90 to 90."), field="sites")
        if not 1 <= site.radius_km <= 100:
            raise PreferenceError(_l("A radius is 1 to 100 km."), field="sites")


def save(user, data):
    """Replace `user`'s preferences and sites with `data`; all or nothing; commits."""
    _check(data)
    regions = db.session.scalars(select(Region).where(
        Region.id.in_(data.region_ids),
        Region.level.in_([RegionLevel.KABUPATEN_KOTA, RegionLevel.KECAMATAN]))).all()
    if len(regions) != len(set(data.region_ids)):
        raise PreferenceError(_l("Choose kota or kecamatan from the list."), field="region_ids")
    tiers = db.session.scalars(select(PackageTier).where(PackageTier.id.in_(data.tier_ids))).all()
    if len(tiers) != len(set(data.tier_ids)):
        raise PreferenceError(_l("Unknown tier."), field="tier_ids")
    try:
        preference = db.session.get(MatchPreference, user.id) or MatchPreference(user_id=user.id)
        preference.budget = data.budget
        preference.aspect_codes = ",".join(dict.fromkeys(data.aspects))
        preference.regions_required = data.regions_required
        preference.regions = list(regions)
        preference.tiers = list(tiers)
        db.session.add(preference)
        db.session.execute(delete(CollaboratorSite).where(CollaboratorSite.user_id == user.id))
        db.session.add_all(CollaboratorSite(user_id=user.id, name=site.name.strip(), lat=site.lat, lon=site.lon,
                                            radius_km=site.radius_km) for site in data.sites)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return preference


def current(user):
    """(MatchPreference or None, sites) of `user`, for filling the form; two queries."""
    preference = db.session.get(MatchPreference, user.id)
    sites = db.session.scalars(select(CollaboratorSite).where(CollaboratorSite.user_id == user.id)
                               .order_by(CollaboratorSite.id)).all()
    return preference, sites


def profile_for(user):
    """The saved preferences of `user` as matching uses them (an empty profile when none were saved)."""
    preference, sites = current(user)
    sites = tuple(matching.Site(s.name, s.lat, s.lon, s.radius_km) for s in sites)
    if preference is None:
        return matching.Profile(sites=sites)
    return matching.Profile(budget=preference.budget, aspects=tuple(preference.aspects),
                            regions=tuple((r.id, r.name) for r in preference.regions),
                            regions_required=preference.regions_required,
                            tier_ids=tuple(t.id for t in preference.tiers), sites=sites)
