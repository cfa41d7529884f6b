"""The monitoring dashboard as one object: every figure for a scope and period (a fixed number of statements)."""
import threading
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from app.db_types import utcnow
from app.services import dashboard_cache, monitoring, monitoring_series, stats
from app.services.progress import jakarta_today


@dataclass
class Dashboard:
    """What /monitoring and the public transparency pages show."""

    filters: monitoring.Filters
    scope: monitoring.Scope
    levels: list
    statuses: dict
    before_after: monitoring.BeforeAfter
    flows: monitoring.Flows
    target: monitoring.Target
    regions: list
    aspects: list
    months: list
    aggregators: list
    kotas: list
    as_of: datetime  # when the figures were computed (UTC)

    def total(self, name, statuses=stats.COUNTED_STATUSES):
        """Σ of a StatusRow attribute over the counted statuses (need, committed, received, spent…)."""
        return sum(getattr(row, name) for status, row in self.statuses.items() if status in statuses)

    @property
    def progress_pct(self):
        """Cost-weighted verified progress of the counted packages, whole percent."""
        estimate = self.total("estimate")
        return self.total("weighted_progress") // estimate if estimate else 0

    def level_total(self, name):
        """Σ of a LevelRow attribute over every level."""
        return sum(getattr(row, name) for row in self.levels)


def current(filters):
    """The dashboard for the filters as a page shows it: recent figures from the per-process cache
    (`dashboard_cache`), else built now; None when a region code names no region."""
    return dashboard_cache.fetch(*_cached(filters, current_app.config))


def warm(app):
    """Start building the national dashboard in a background thread, so the next visitor finds it ready; False
    when the cache is off or a build is under way."""
    if app.config["DASHBOARD_CACHE_SECONDS"] <= 0:
        return False
    key, compute = _cached(monitoring.Filters(), app.config)
    return dashboard_cache.cache(app).refresh(key, lambda: dashboard_cache.in_context(app, compute))


def keep_warm(app, stop=None):
    """A worker process's keeper (gunicorn's post_worker_init starts it): rebuild the national dashboard now and
    every DASHBOARD_CACHE_SECONDS, so no visitor waits the seconds it takes, not the first one, not one after
    a quiet hour. Returns the daemon thread (None when the cache is off); setting `stop` ends it."""
    interval = app.config["DASHBOARD_CACHE_SECONDS"]
    if interval <= 0:
        return None
    stop = stop or threading.Event()

    def keep():
        while True:
            warm(app)
            dashboard_cache.cache(app).wait()
            if stop.wait(interval):
                return

    thread = threading.Thread(target=keep, name="dashboard-keeper", daemon=True)
    thread.start()
    return thread


def _cached(filters, config):
    """(cache key, build) for the filters: the key holds the Jakarta day and the target settings too."""
    today = jakarta_today()
    target = (config["PROGRAMME_TARGET_PCT"], config["PROGRAMME_TARGET_YEAR"])
    return (filters, today, target), lambda: build(filters, *target, today=today)


def build(filters, target_pct, target_year, today=None):
    """Every figure for the filters, computed now; None when a region code names no region."""
    as_of = utcnow()
    scope = monitoring.resolve_scope(filters)
    if scope is None:
        return None
    today = today or jakarta_today()
    levels = monitoring.rws_by_level(scope)
    months = monitoring_series.by_month(scope, filters)
    return Dashboard(
        filters=filters, scope=scope, levels=levels, statuses=monitoring.packages_by_status(scope),
        before_after=monitoring.before_after(scope), flows=monitoring.flows(scope, filters, months),
        target=monitoring.target(levels, scope, target_pct, target_year, today),
        regions=monitoring_series.by_region(scope), aspects=monitoring_series.by_aspect(scope),
        months=months, aggregators=monitoring_series.aggregators(scope, today), kotas=stats.kotas_with_rws(),
        as_of=as_of,
    )


def charts(board):
    """Chart.js specifications of the dashboard's four charts (the template writes them as JSON)."""
    from flask_babel import gettext as _

    from app.domain import PACKAGE_STATUS_LABELS

    running, funding = [0, 0, 0], {"committed": [], "received": [], "spent": []}
    for month in board.months:
        for n, name in enumerate(("committed", "received", "spent")):
            running[n] += getattr(month, name)
            funding[name].append(running[n])
    return {
        "chart-funding": {"type": "line", "money": True, "labels": [month.month for month in board.months],
                          "datasets": [{"label": _("Committed"), "data": funding["committed"]},
                                       {"label": _("Received"), "data": funding["received"]},
                                       {"label": _("Spent"), "data": funding["spent"]}]},
        "chart-status": {"type": "bar", "stacked": True, "labels": [row.name for row in board.regions],
                         "datasets": [{"label": str(PACKAGE_STATUS_LABELS[status]),
                                       "data": [row.by_status.get(status, 0) for row in board.regions]}
                                      for status in stats.COUNTED_STATUSES]},
        "chart-aspects": {"type": "bar", "money": True, "horizontal": True,
                          "labels": [row.label for row in board.aspects],
                          "datasets": [{"label": _("Need"), "data": [row.need for row in board.aspects]},
                                       {"label": _("Committed"), "data": [row.committed for row in board.aspects]}]},
        "chart-aggregators": {
            "type": "bar", "money": True, "horizontal": True, "labels": [row.name for row in board.aggregators],
            "datasets": [{"label": _("Received"), "data": [row.received for row in board.aggregators]},
                         {"label": _("Spent"), "data": [row.spent for row in board.aggregators]}]},
    }
