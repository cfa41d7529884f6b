"""Rukun: the application factory."""
import secrets
from pathlib import Path

from flask import Flask, abort, current_app, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from config import Config, config_from_env


def create_app(config=None):
    """Build the app. `config` is a Config instance, a config name, or None for `RUKUN_ENV`."""
    if not isinstance(config, Config):
        config = config_from_env(config)
    app = Flask(__name__, instance_path=config.INSTANCE_PATH, instance_relative_config=True)
    app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_cli(app)
    register_notifications(app)
    register_proxy_fix(app)
    return app


def register_proxy_fix(app):
    """Behind PROXY_FIX_HOPS trusted proxies (config, from the environment; default 0), take the client's
    address, scheme and host from X-Forwarded-For/-Proto/-Host, so rate limits and logs see the client.
    With 0 the headers are ignored: anyone can send them to a server that is not behind a proxy."""
    raw = app.config.get("PROXY_FIX_HOPS", 0)
    try:
        hops = int(raw or 0)
    except ValueError:
        raise RuntimeError(f"PROXY_FIX_HOPS must be a whole number of proxies, not {raw!r}") from None
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def select_locale():
    """The language chosen in the menu (kept in the session), then the user's setting, else Indonesian.

    The browser's Accept-Language is deliberately not followed: many Indonesian phones are set to
    English, and the product speaks Bahasa Indonesia unless the reader asks otherwise.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, services in tests: the default locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):  # API clients say what they read; English otherwise
        return request.accept_languages.best_match(languages) or "en"
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app):
    """Bind the unbound extensions to this app."""
    from flask_babel import lazy_gettext

    from app import models  # noqa: F401 - registers every table on the metadata
    from app.services import accounts, dashboard_cache

    postgres_session_options(app.config)
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.user_loader(accounts.load_user_from_session)
    login_manager.login_message = lazy_gettext("Please sign in to open that page.")
    dashboard_cache.init_app(app)


def postgres_session_options(config):
    """Hand POSTGRES_OPTIONS to each PostgreSQL connection (libpq `options`), unless the engine options or the
    database URL already set some."""
    options = config.get("POSTGRES_OPTIONS")
    uri = config["SQLALCHEMY_DATABASE_URI"]
    engine_options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(engine_options.get("connect_args") or {})
    if not options or not uri.startswith("postgresql") or "options=" in uri or "options" in connect_args:
        return
    engine_options["connect_args"] = {**connect_args, "options": options}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options


def configure_sqlite(engine):
    """SQLite only: enforce foreign keys, wait for locks instead of failing, and use WAL so readers
    never block the writer's commit (several requests pledge at once)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


class DatabaseInt(IntegerConverter):
    """`<int:…>` in every route, bounded to what an INTEGER id column holds: a larger number is a 404,
    not an overflow in the database driver."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_input_guards(app):
    """Checks every request passes before any view: ids fit the database, and no text carries a NUL
    character (PostgreSQL cannot store one, so it would fail deep in a query instead of here)."""
    from app.errors import json_error

    app.url_map.converters["int"] = DatabaseInt

    @app.before_request
    def refuse_nul_characters():
        fields = [*request.args.items(), *(request.form.items() if request.method == "POST" else ())]
        bad = {name: "Text may not contain NUL characters." for name, value in fields if "\x00" in value}
        if bad and request.path.startswith("/api/"):
            return json_error(422, "invalid_parameters", "Some parameters are invalid.", fields=bad)
        if bad:
            abort(400, description=_("Text may not contain NUL characters."))


def register_blueprints(app):
    """One blueprint per feature."""
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.catalogue import bp as catalogue_bp
    from app.exports import bp as exports_bp
    from app.ledger import bp as ledger_bp
    from app.main import bp as main_bp
    from app.manage import bp as manage_bp
    from app.maps import bp as maps_bp
    from app.matching import bp as matching_bp
    from app.monitoring import bp as monitoring_bp
    from app.notifications import bp as notifications_bp
    from app.pledges import bp as pledges_bp
    from app.progress import bp as progress_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(maps_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(pledges_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(manage_bp, url_prefix="/manage")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(exports_bp, url_prefix="/data")


def register_error_handlers(app):
    """HTML error pages for people; JSON errors for /api/."""
    from app.errors import register

    register(app)


def register_template_helpers(app):
    """Jinja filters (rupiah, dates) and globals (labels, permissions)."""
    from app.templating import register

    register(app)


def register_security_headers(app):
    """Headers every response carries; the CSP allows only the app's own scripts and styles."""

    @app.before_request
    def make_csp_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def set_headers(response):
        tile_origin = _origin(app.config["TILE_URL"])
        nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"img-src 'self' data: {tile_origin}; "
            f"style-src 'self'{nonce}; script-src 'self'{nonce}; object-src 'none'; "
            "base-uri 'self'; frame-ancestors 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.before_request
    def remember_language_choice():
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang


def _origin(url):
    """scheme://host of a tile URL template (placeholders in the host are kept, e.g. {s})."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""


def register_cli(app):
    """`flask --app wsgi seed`, `users create`, ..."""
    from app.cli import register

    register(app)


def register_notifications(app):
    """Notifications and e-mail hear the domain events; templates get the unread count."""
    from app.services import notifications

    notifications.register(app)
