"""Vocabulary of the domain: roles, statuses, slum aspects and criteria.

Plain constants shared by models, services, forms and templates. Labels are lazily translated.
"""
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    """What a user account is for; permissions.py decides what each may do."""

    COLLABORATOR = "collaborator"
    AGGREGATOR = "aggregator"
    GOVERNMENT = "government"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.COLLABORATOR: _l("Collaborator"),
    Role.AGGREGATOR: _l("Aggregator"),
    Role.GOVERNMENT: _l("Government"),
    Role.ADMIN: _l("Administrator"),
}


class OrganisationKind(StrEnum):
    """Organisations: aggregator NGOs manage packages; companies and foundations fund them."""

    AGGREGATOR = "aggregator"
    COMPANY = "company"
    FOUNDATION = "foundation"
    GOVERNMENT = "government"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.AGGREGATOR: _l("Aggregator NGO"),
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.FOUNDATION: _l("Foundation"),
    OrganisationKind.GOVERNMENT: _l("Government agency"),
}


class RegionLevel(StrEnum):
    """Kemendagri administrative levels, top to bottom."""

    PROVINSI = "provinsi"
    KABUPATEN_KOTA = "kabupaten_kota"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"


REGION_LEVEL_LABELS = {
    RegionLevel.PROVINSI: _l("Province"),
    RegionLevel.KABUPATEN_KOTA: _l("Regency/City"),
    RegionLevel.KECAMATAN: _l("District (kecamatan)"),
    RegionLevel.KELURAHAN: _l("Village (kelurahan)"),
}


class PackageStatus(StrEnum):
    """Package life cycle: draft → published → funded → in_progress → completed, or cancelled."""

    DRAFT = "draft"
    PUBLISHED = "published"
    FUNDED = "funded"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


PACKAGE_STATUS_LABELS = {
    PackageStatus.DRAFT: _l("Draft"),
    PackageStatus.PUBLISHED: _l("Open for funding"),
    PackageStatus.FUNDED: _l("Funded"),
    PackageStatus.IN_PROGRESS: _l("In progress"),
    PackageStatus.COMPLETED: _l("Completed"),
    PackageStatus.CANCELLED: _l("Cancelled"),
}


class PledgeStatus(StrEnum):
    """A pledge is committed money until the aggregator confirms it arrived."""

    PLEDGED = "pledged"
    RECEIVED = "received"
    CANCELLED = "cancelled"


PLEDGE_STATUS_LABELS = {
    PledgeStatus.PLEDGED: _l("Pledged"),
    PledgeStatus.RECEIVED: _l("Received"),
    PledgeStatus.CANCELLED: _l("Cancelled"),
}


class ReportStatus(StrEnum):
    """Progress reports count in public figures only once government verifies them."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"


REPORT_STATUS_LABELS = {
    ReportStatus.SUBMITTED: _l("Awaiting verification"),
    ReportStatus.VERIFIED: _l("Verified"),
    ReportStatus.REJECTED: _l("Rejected"),
}


# What each ledger action means, as the public ledger, receipts and histories show it.
LEDGER_ACTION_LABELS = {
    "package.created": _l("Package created"), "package.revised": _l("Cost estimate revised"),
    "package.assigned": _l("Aggregator assigned"), "package.status": _l("Status changed"),
    "pledge.created": _l("Pledge made"), "pledge.received": _l("Pledge received"),
    "pledge.cancelled": _l("Pledge cancelled"), "expenditure.recorded": _l("Spending recorded"),
    "report.submitted": _l("Progress report submitted"), "report.verified": _l("Progress report verified"),
    "report.rejected": _l("Progress report rejected"),
}


class SlumLevel(StrEnum):
    """Severity bands of the total slum score (0–80)."""

    BERAT = "berat"
    SEDANG = "sedang"
    RINGAN = "ringan"
    NONE = "tidak_kumuh"


SLUM_LEVEL_LABELS = {
    SlumLevel.BERAT: _l("Severe slum"),
    SlumLevel.SEDANG: _l("Moderate slum"),
    SlumLevel.RINGAN: _l("Light slum"),
    SlumLevel.NONE: _l("Not a slum"),
}

# The seven aspects of Permen PUPR 14/2018. Work items also use two aspects outside the
# assessment (public space and lighting, other), so packages can carry the whole RAB.
ASPECTS = {
    "bangunan": _l("Buildings"),
    "jalan": _l("Neighbourhood roads"),
    "air_minum": _l("Drinking water"),
    "drainase": _l("Drainage"),
    "air_limbah": _l("Wastewater and sanitation"),
    "sampah": _l("Solid waste"),
    "kebakaran": _l("Fire protection"),
}
WORK_ASPECTS = {
    **ASPECTS,
    "ruang_publik": _l("Public space and lighting"),
    "lainnya": _l("Other"),
}

# The sixteen criteria, in the regulation's order: (column, aspect, label).
CRITERIA = (
    ("bld_irregular", "bangunan", _l("Irregular building layout")),
    ("bld_density", "bangunan", _l("Building density above plan")),
    ("bld_noncompliant", "bangunan", _l("Buildings not meeting technical requirements")),
    ("road_coverage", "jalan", _l("Road network does not serve the whole area")),
    ("road_surface", "jalan", _l("Poor road surface")),
    ("water_access", "air_minum", _l("No safe drinking water access")),
    ("water_need", "air_minum", _l("Minimum drinking water need unmet")),
    ("drain_runoff", "drainase", _l("Drainage cannot carry runoff (flooding)")),
    ("drain_missing", "drainase", _l("No drainage")),
    ("drain_quality", "drainase", _l("Poor drainage construction")),
    ("waste_system", "air_limbah", _l("Wastewater system below standard")),
    ("waste_facility", "air_limbah", _l("Wastewater facilities below standard")),
    ("solid_facility", "sampah", _l("Solid waste facilities below standard")),
    ("solid_management", "sampah", _l("Solid waste management below standard")),
    ("fire_prasarana", "kebakaran", _l("No fire protection infrastructure")),
    ("fire_sarana", "kebakaran", _l("No fire fighting equipment")),
)
CRITERION_COLUMNS = tuple(column for column, _aspect, _label in CRITERIA)
MAX_SLUM_SCORE = 5 * len(CRITERIA)
