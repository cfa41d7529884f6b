"""Jinja filters and globals: money, numbers, dates, labels and permissions."""
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from app import domain
from app.money import rupiah, rupiah_short
from app.permissions import can


def number(value, digits=None):
    """A number in the reader's locale: 1.234 (id) or 1,234 (en)."""
    if value is None:
        return "–"
    if digits is not None:
        return format_decimal(round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0")
    return format_decimal(value)


def percent(value):
    """Whole percent: 37 %."""
    return "–" if value is None else f"{int(value)} %"


def register(app):
    """Filters and globals for every template."""
    app.jinja_env.filters.update(
        rupiah=rupiah,
        rupiah_short=rupiah_short,
        number=number,
        percent=percent,
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "–",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "–",
    )
    app.jinja_env.globals.update(
        can=can,
        current_locale=lambda: str(get_locale()),
        ROLE_LABELS=domain.ROLE_LABELS,
        PACKAGE_STATUS_LABELS=domain.PACKAGE_STATUS_LABELS,
        PLEDGE_STATUS_LABELS=domain.PLEDGE_STATUS_LABELS,
        REPORT_STATUS_LABELS=domain.REPORT_STATUS_LABELS,
        LEDGER_ACTION_LABELS=domain.LEDGER_ACTION_LABELS,
        SLUM_LEVEL_LABELS=domain.SLUM_LEVEL_LABELS,
        ASPECTS=domain.ASPECTS,
        WORK_ASPECTS=domain.WORK_ASPECTS,
        REGION_LEVEL_LABELS=domain.REGION_LEVEL_LABELS,
        ORGANISATION_KIND_LABELS=domain.ORGANISATION_KIND_LABELS,
    )
