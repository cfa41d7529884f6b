"""Small factories for tests: each builds valid objects through the app's own services."""
import itertools
from decimal import Decimal

from sqlalchemy import select

from app.domain import CRITERION_COLUMNS, Role
from app.extensions import db
from app.models import Organisation, PackageTier, Region
from app.services import accounts, lifecycle, regions
from app.services.packages import ItemInput, create_package

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def region_tree(prefix="31.99"):
    """A provinsi → kota → kecamatan → kelurahan chain; returns the kelurahan."""
    existing = db.session.scalar(select(Region).where(Region.code == f"{prefix}.01.1001"))
    if existing:
        return existing
    province = db.session.scalar(select(Region).where(Region.code == prefix.split(".")[0]))
    if province is None:
        province = Region(code=prefix.split(".")[0], level="provinsi", name="Provinsi Uji")
    kota = Region(code=prefix, level="kabupaten_kota", name=f"Kota Uji {prefix}", parent=province)
    kecamatan = Region(code=f"{prefix}.01", level="kecamatan", name=f"Kecamatan Uji {prefix}", parent=kota)
    kelurahan = Region(code=f"{prefix}.01.1001", level="kelurahan", name=f"Kelurahan Uji {prefix}",
                       parent=kecamatan)
    db.session.add_all([province, kota, kecamatan, kelurahan])
    db.session.flush()
    return kelurahan


def tier(code="bersama", min_cost=100_000_000, max_cost=750_000_000, min_pledge=1_000_000, whole_only=False):
    """A package tier (defaults: the demo Bersama)."""
    found = db.session.scalar(select(PackageTier).where(PackageTier.code == code))
    if found:
        return found
    new = PackageTier(code=code, name=code.capitalize(), min_cost=min_cost, max_cost=max_cost,
                      min_pledge=min_pledge, whole_only=whole_only)
    db.session.add(new)
    db.session.flush()
    return new


def whole_tier():
    """The demo Utama: adopted whole by one collaborator."""
    return tier("utama", 750_000_000, 2_000_000_000, 750_000_000, whole_only=True)


def organisation(name=None, kind="aggregator", verified=True):
    """An organisation."""
    n = next(_sequence)
    org = Organisation(name=name or f"Organisation {n}", slug=f"org-{n}", kind=kind, verified=verified)
    db.session.add(org)
    db.session.flush()
    return org


def user(role=Role.COLLABORATOR, organisation=None, email=None, name=None):
    """A user with the factory PASSWORD; aggregators get an organisation if none is given."""
    n = next(_sequence)
    if role == Role.AGGREGATOR and organisation is None:
        organisation = globals()["organisation"]()
    created = accounts.create_user(accounts.NewUser(
        email=email or f"user{n}@example.org", password=PASSWORD, name=name or f"User {n}", role=role,
        organisation_id=organisation.id if organisation else None,
    ))
    return created


def shares(value=0.0, **overrides):
    """All sixteen criterion shares at `value`, with overrides by column."""
    return {column: overrides.get(column, value) for column in CRITERION_COLUMNS}


def rw(number=None, kelurahan=None, households=250, population=1000, area_ha=5.0, share=80.0):
    """An RW with one assessment (every criterion at `share` %)."""
    kelurahan = kelurahan or region_tree()
    new = regions.create_rw(kelurahan, number or next(_sequence), -6.2, 106.8, households=households,
                            population=population, area_ha=area_ha)
    db.session.flush()
    regions.record_assessment(new, shares(share), is_baseline=True)
    db.session.commit()
    return new


def package(estimate=200_000_000, tier_=None, status="published", aggregator=None, rw_=None, actor=None):
    """A package whose RAB is one drainage line costing `estimate`, moved to `status`."""
    tier_ = tier_ or tier()
    items = [ItemInput(aspect="drainase", description="Saluran U-ditch", quantity=Decimal(1), unit="ls",
                       unit_cost=estimate)]
    created = create_package(rw_ or rw(), tier_, "Paket uji", items, actor=actor, aggregator=aggregator)
    if status != "draft":
        lifecycle.transition(created, "published", actor=actor)
    db.session.commit()
    return created


def operating_in(organisation, *regions_):
    """Give an organisation its operating regions (kota or provinsi Regions)."""
    organisation.operating_regions = list(regions_)
    db.session.commit()
    return organisation


def kota_of(kelurahan):
    """The kabupaten/kota above a kelurahan."""
    return kelurahan.parent.parent


def pledge(package, amount, collaborator=None):
    """A pledge through the pledging service (commits)."""
    from app.services import pledging

    return pledging.create_pledge(package, collaborator or user(Role.COLLABORATOR), amount)


def company_collaborator(organisation_name, name=None, email=None):
    """A collaborator who gives for a company, registered the way the sign-up form does it."""
    n = next(_sequence)
    return accounts.register_collaborator(email or f"company{n}@example.org", PASSWORD, name or f"Director {n}",
                                          is_company=True, organisation_name=organisation_name)


def expenditure(package, amount, actor, spent_on=None):
    """Spending on the package's first work item through the spending service (commits)."""
    from datetime import date

    from app.services import spending

    spent = spending.record_expenditure(package, package.items[0], amount, spent_on or date.today(), "Material",
                                        actor)
    db.session.commit()
    return spent


def kelurahan_in(parent, name=None):
    """Another kelurahan under `parent`: a kecamatan, or a kota (which then gets a new kecamatan for it)."""
    n = next(_sequence)
    if parent.level != "kecamatan":
        parent = Region(code=f"{parent.code}.{n}", level="kecamatan", name=f"Kecamatan {n}", parent=parent)
    new = Region(code=f"{parent.code}.{2000 + n}", level="kelurahan", name=name or f"Kelurahan {n}", parent=parent)
    db.session.add_all([parent, new])
    db.session.flush()
    return new
