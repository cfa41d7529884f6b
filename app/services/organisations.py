"""Organisations: creation, verification and operating regions."""
import re
import unicodedata

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation, Region


def slugify(text):
    """ASCII, lower-case, hyphenated: 'Baznas (Bazis) DKI' → 'baznas-bazis-dki'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "org"


def upsert_organisation(name, kind, verified=False, description=None, website=None, region_codes=()):
    """Create or update an organisation by name; operating regions by Kemendagri code."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name, slug=slugify(name), kind=kind)
        db.session.add(organisation)
    organisation.kind = kind
    organisation.verified = verified
    organisation.description = description
    organisation.website = website
    if region_codes:
        regions = db.session.scalars(select(Region).where(Region.code.in_(region_codes))).all()
        organisation.operating_regions = regions
    return organisation


def set_verified(organisation, verified):
    """Admins verify organisations; unverified ones are shown as such."""
    organisation.verified = verified
    db.session.commit()
