"""Recently built dashboards, per worker process, so a national view is not recomputed for every visitor.

Computing the national figures reads every package, work item, RW and month of the ledger once (seconds at
100,000 packages); a region's figures take tens of milliseconds. Figures are therefore reused for up to
DASHBOARD_CACHE_SECONDS (0 turns the cache off: every view computes afresh):

- younger than that: served as they are;
- older, but younger than twice that: served at once, and one background thread per filter recomputes
  them, so the next view is fresh;
- older still, or never built: computed before the page is served.

So figures are never more than twice DASHBOARD_CACHE_SECONDS old, and the page says when they were computed.
Under gunicorn each worker also keeps the national figures computed (`dashboard.keep_warm`), so even the first
visitor, or one after a quiet hour, finds them ready.
The key is the filters, the Jakarta day (the period's "today" and overdue reports depend on it) and the target
settings. Entries hold plain values only (no ORM objects, no translated text), so any request may read them.
"""
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app

CAPACITY = 128  # entries per worker process; a dashboard is a few hundred small rows


@dataclass
class Entry:
    """A dashboard and when it was built (on the cache's clock)."""

    board: object
    built_at: float


class DashboardCache:
    """Dashboards by key, least recently used dropped first; safe across threads."""

    def __init__(self, capacity=CAPACITY, clock=time.monotonic):
        self.capacity, self.clock = capacity, clock
        self._entries, self._lock = OrderedDict(), threading.Lock()
        self._refreshing = {}  # key → the thread recomputing it

    def get(self, key):
        """The Entry under `key`, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, board, built_at):
        """Keep `board`, unless a newer build of the same key is already kept."""
        with self._lock:
            kept = self._entries.get(key)
            if kept is None or kept.built_at <= built_at:
                self._entries[key] = Entry(board, built_at)
                self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def refresh(self, key, compute):
        """Recompute `key` in a background thread, unless one already does; True when one was started."""
        with self._lock:
            if key in self._refreshing:
                return False
            thread = threading.Thread(target=self._run, args=(key, compute), name="dashboard-refresh", daemon=True)
            self._refreshing[key] = thread
        thread.start()
        return True

    def _run(self, key, compute):
        try:
            started = self.clock()
            board = compute()
            if board is not None:
                self.put(key, board, started)
        finally:
            with self._lock:
                self._refreshing.pop(key, None)

    def wait(self):
        """Wait for the background recomputations under way (tests and benchmarks)."""
        with self._lock:
            threads = list(self._refreshing.values())
        for thread in threads:
            thread.join()


def init_app(app):
    """Give the app its own cache (each app, as each test's, starts empty)."""
    app.extensions["rukun.dashboards"] = DashboardCache()


def cache(app=None):
    """The app's DashboardCache."""
    return (app or current_app).extensions["rukun.dashboards"]


def fetch(key, compute):
    """The dashboard for `key`: from the cache while fresh enough (see the module), else `compute()`d now.

    `compute` runs in this request, or in a background thread inside its own app context.
    """
    app = current_app._get_current_object()
    max_age = app.config["DASHBOARD_CACHE_SECONDS"]
    if max_age <= 0:
        return compute()
    store = cache(app)
    now = store.clock()
    entry = store.get(key)
    if entry is not None and now - entry.built_at <= 2 * max_age:
        if now - entry.built_at > max_age:
            store.refresh(key, lambda: in_context(app, compute))
        return entry.board
    board = compute()
    if board is not None:
        store.put(key, board, now)
    return board


def in_context(app, compute):
    """`compute()` inside an app context of its own (a background thread's); None, logged, if it fails."""
    with app.app_context():
        try:
            return compute()
        except Exception:  # a failed refresh keeps the older figures; the next stale view tries again
            app.logger.exception("recomputing a dashboard in the background failed")
            return None
