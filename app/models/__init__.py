"""All models, importable from one place (and registered with SQLAlchemy's metadata)."""
from app.models.assignments import AssignmentRequest, AssignmentStatus
from app.models.ledger import LedgerEntry, LedgerMonth, Notification, OutboxEmail
from app.models.matching import CollaboratorSite, MatchPreference, preference_regions, preference_tiers
from app.models.packages import Package, PackageTier, WorkItem
from app.models.pledges import Expenditure, Pledge
from app.models.progress import ProgressItem, ProgressPhoto, ProgressReport
from app.models.regions import RW, Region, SlumAssessment
from app.models.users import ApiToken, Organisation, User, organisation_regions

__all__ = [
    "ApiToken", "AssignmentRequest", "AssignmentStatus", "CollaboratorSite", "Expenditure", "LedgerEntry",
    "LedgerMonth", "MatchPreference", "Notification", "Organisation", "OutboxEmail", "Package", "PackageTier", "Pledge",
    "ProgressItem", "ProgressPhoto", "ProgressReport", "RW", "Region", "SlumAssessment", "User", "WorkItem",
    "organisation_regions", "preference_regions", "preference_tiers",
]
