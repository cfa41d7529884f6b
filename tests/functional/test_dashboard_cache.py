"""Recently built dashboards are reused for DASHBOARD_CACHE_SECONDS, recomputed in the background when older,
and before the page when older than twice that; the page says when its figures were computed."""
import json
import re
import threading

import pytest

from app.domain import Role
from app.extensions import db
from app.services import dashboard, dashboard_cache, monitoring, pledging
from tests.functional.test_catalogue import queries_for

MAX_AGE = 300


class Clock:
    """The cache's clock, moved by the test."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app):
    """A fresh cache on a clock the test moves, with DASHBOARD_CACHE_SECONDS = MAX_AGE."""
    saved = app.extensions["rukun.dashboards"], app.config["DASHBOARD_CACHE_SECONDS"]
    clock = Clock()
    app.extensions["rukun.dashboards"] = dashboard_cache.DashboardCache(clock=clock)
    app.config["DASHBOARD_CACHE_SECONDS"] = MAX_AGE
    yield clock
    dashboard_cache.cache(app).wait()
    app.extensions["rukun.dashboards"], app.config["DASHBOARD_CACHE_SECONDS"] = saved


def committed(client, url="/transparency"):
    """The cumulative committed money the page's funding chart ends on."""
    html = client.get(url).get_data(as_text=True)
    spec = re.search(r'<script type="application/json" id="chart-funding">(.*?)</script>', html, re.S).group(1)
    data = json.loads(spec)["datasets"][0]["data"]
    return data[-1] if data else 0


def pledge(make, package, amount):
    pledging.create_pledge(package, make.user(Role.COLLABORATOR), amount)
    db.session.commit()


def test_fresh_figures_are_reused_then_refreshed_in_the_background(app, client, make, clock):
    package = make.package(300_000_000)
    pledge(make, package, 100_000_000)
    assert committed(client) == 100_000_000
    pledge(make, package, 50_000_000)
    clock.now += MAX_AGE  # still fresh: the same figures, nothing recomputed
    assert queries_for(client, "/transparency") == 0
    assert committed(client) == 100_000_000
    clock.now += 1  # stale: served at once, recomputed behind it
    assert committed(client) == 100_000_000
    dashboard_cache.cache(app).wait()
    assert committed(client) == 150_000_000
    pledge(make, package, 25_000_000)
    clock.now += 2 * MAX_AGE + 1  # too old to show: computed before the page
    assert committed(client) == 175_000_000


def test_each_filter_and_day_has_its_own_figures(app, client, make, clock):
    package = make.package(300_000_000)
    pledge(make, package, 100_000_000)
    kota = package.rw.kota.code
    assert committed(client) == committed(client, f"/transparency?kota={kota}") == 100_000_000
    pledge(make, package, 50_000_000)
    other_day = monitoring.Filters(kota=kota, date_from=dashboard.jakarta_today())
    assert committed(client, f"/transparency?kota={kota}&date_from={other_day.date_from}") == 150_000_000
    assert committed(client, f"/transparency?kota={kota}") == 100_000_000
    keys = list(dashboard_cache.cache(app)._entries)
    assert {key[0] for key in keys} == {monitoring.Filters(), monitoring.Filters(kota=kota), other_day}
    assert all(key[1] == dashboard.jakarta_today() for key in keys)


def test_cached_figures_read_in_either_language_and_say_when(app, client, make, clock):
    pledge(make, make.package(300_000_000), 100_000_000)
    english = client.use_language("en").get("/transparency").get_data(as_text=True)
    assert "Drainage" in english and "figures as of" in english
    indonesian = client.use_language("id").get("/transparency").get_data(as_text=True)
    assert "Drainase" in indonesian and "Drainage" not in indonesian and "angka per" in indonesian
    board = dashboard_cache.cache(app).get(next(iter(dashboard_cache.cache(app)._entries))).board
    assert board.as_of.tzinfo is not None
    db.session.expunge_all()  # the entry holds values, not rows of a session
    assert board.scope.region is None and board.aspects[0].aspect == "drainase"


def test_a_failed_refresh_keeps_the_older_figures(app, client, make, clock, monkeypatch):
    pledge(make, make.package(300_000_000), 100_000_000)
    assert committed(client) == 100_000_000

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dashboard, "build", broken)
    clock.now += MAX_AGE + 1
    assert committed(client) == 100_000_000
    dashboard_cache.cache(app).wait()
    assert committed(client) == 100_000_000  # still the older figures, and a new refresh is tried
    monkeypatch.undo()
    dashboard_cache.cache(app).wait()


def test_an_unknown_region_is_not_kept(app, client, clock):
    assert client.get("/transparency?kota=31.99").status_code == 404
    assert not dashboard_cache.cache(app)._entries


def test_turned_off_every_view_computes(app, client, make):
    assert app.config["DASHBOARD_CACHE_SECONDS"] == 0  # the suite's setting
    package = make.package(300_000_000)
    pledge(make, package, 100_000_000)
    assert committed(client) == 100_000_000
    pledge(make, package, 50_000_000)
    assert committed(client) == 150_000_000
    assert not dashboard_cache.cache(app)._entries


def test_the_cache_keeps_the_newest_build_and_a_bounded_number():
    clock = Clock()
    store = dashboard_cache.DashboardCache(capacity=2, clock=clock)
    store.put("a", "new", 20.0)
    store.put("a", "old", 10.0)  # a slower refresh that started earlier loses
    assert store.get("a").board == "new"
    store.put("b", "b", 1.0)
    store.get("a")  # used: "b" is now the least recently used
    store.put("c", "c", 1.0)
    assert store.get("b") is None and store.get("a").board == "new" and store.get("c").board == "c"


def test_one_background_refresh_per_key():
    store = dashboard_cache.DashboardCache()
    release, calls = threading.Event(), []

    def compute():
        calls.append(1)
        release.wait()
        return "fresh"

    assert store.refresh("a", compute) is True
    assert store.refresh("a", compute) is False  # already under way
    release.set()
    store.wait()
    assert calls == [1] and store.get("a").board == "fresh"


def test_a_new_worker_warms_the_national_figures(app, client, make, clock):
    pledge(make, make.package(300_000_000), 100_000_000)
    assert dashboard.warm(app) is True
    dashboard_cache.cache(app).wait()
    assert queries_for(client, "/transparency") == 0  # the first visitor finds them ready
    assert committed(client) == 100_000_000


def test_the_keeper_rebuilds_the_national_figures_until_stopped(app, client, make, clock):
    pledge(make, make.package(300_000_000), 100_000_000)
    stop = threading.Event()
    stop.set()  # one round, then the keeper's wait for the next returns at once
    thread = dashboard.keep_warm(app, stop)
    thread.join()
    assert not thread.is_alive()
    assert queries_for(client, "/transparency") == 0
    assert committed(client) == 100_000_000


def test_no_warming_with_the_cache_off(app):
    assert dashboard.warm(app) is False
    assert dashboard.keep_warm(app) is None
    assert not dashboard_cache.cache(app)._entries
