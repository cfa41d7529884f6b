"""What every CSV download shares: cells a spreadsheet will not run as formulas, and file names dated by
the Jakarta calendar day."""
from datetime import timedelta

from app.db_types import utcnow

JAKARTA_OFFSET = timedelta(hours=7)  # WIB has no daylight saving


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def dated_filename(stem, now=None, extension="csv"):
    """`rukun-<stem>-YYYYMMDD.<extension>` for the Jakarta calendar day of `now` (UTC; default: now)."""
    return f"rukun-{stem}-{((now or utcnow()) + JAKARTA_OFFSET).date():%Y%m%d}.{extension}"


def jakarta_today():
    """Today's date in Jakarta, where the programme runs (servers keep UTC)."""
    return (utcnow().replace(tzinfo=None) + JAKARTA_OFFSET).date()
