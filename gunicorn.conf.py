"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (`make run-prod` does this).

Everything can be changed from the environment, so the same file serves one box or many:

  GUNICORN_WORKERS      worker processes (default 2 x CPUs + 1, at most 8; WEB_CONCURRENCY is read too)
  GUNICORN_THREADS      threads per worker (default 1: sync workers; more switches to the gthread worker)
  GUNICORN_BIND         address to listen on (default 127.0.0.1:8000; a proxy in front serves the world)
  GUNICORN_TIMEOUT      seconds a worker may spend on one request before it is restarted (default 120:
                        the open-data CSV/XLSX downloads stream the whole catalogue)
  GUNICORN_ACCESS_LOG   access log path, "-" for stdout (default), "" for none
  GUNICORN_MAX_REQUESTS a worker is replaced after about this many requests (default 1000, 0 = never)
  GUNICORN_PRELOAD      "0" to import the app in each worker instead of once in the master
  FORWARDED_ALLOW_IPS   proxies whose X-Forwarded-Proto gunicorn trusts (default 127.0.0.1,::1)

The app itself trusts X-Forwarded-For/-Proto/-Host only with PROXY_FIX_HOPS set (see README, "Running at scale").
"""
import multiprocessing
import os


def _int(name, default):
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


def default_workers():
    """2 x CPUs + 1 (a worker waits on PostgreSQL about as long as it computes), capped at 8: each worker
    holds the app (~150 MB) and a database connection."""
    return min(2 * multiprocessing.cpu_count() + 1, 8)


workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", default_workers()))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # gthread only; behind nginx the proxy keeps client connections
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10  # workers do not all restart at the same moment

# Trusted for X-Forwarded-Proto (https behind a TLS-terminating proxy); keep it to the proxies' addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(h)s is the client once PROXY_FIX_HOPS lets the app rewrite REMOTE_ADDR; %(M)s is the request time in ms.
access_log_format = '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
proc_name = "rukun"
# The workers' heartbeat files: on a disk-backed /tmp a busy disk can stall them into timeouts.
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's documented choice, not a temporary file of ours
    worker_tmp_dir = "/dev/shm"  # noqa: S108  # nosec B108

# The app (Flask, SQLAlchemy, folium, numpy) takes seconds to import: load it once in the master and fork,
# which starts workers at once and shares memory. Nothing connects to the database while the app is built,
# but a connection pool must never cross a fork, so each worker drops whatever it inherited (post_fork).
# A preloaded app does not pick up new code on HUP: restart the master to deploy.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def post_fork(server, worker):
    """Give the new worker fresh database pools: connections opened before the fork would be shared."""
    import sys

    module = sys.modules.get("wsgi")
    if module is None:  # not preloaded: the worker imports the app itself, after the fork
        return
    from app.extensions import db

    with module.app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)  # forget the parent's connections without closing them under it


def post_worker_init(worker):
    """Keep the national dashboard computed in the background, from now and every DASHBOARD_CACHE_SECONDS, so
    no visitor waits for it (it takes about a second at national scale; app/services/dashboard_cache.py)."""
    import sys

    module = sys.modules.get("wsgi")
    if module is not None:
        from app.services import dashboard

        dashboard.keep_warm(module.app)
