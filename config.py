"""Configuration classes, read from the environment when instantiated (never at import time).

`RUKUN_ENV` picks the class: development (default), testing, production.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE = BASE_DIR / "instance"


def normalise_database_url(url):
    """Accept Heroku-style `postgres://` and plain `postgresql://` URLs, using the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def local_secret_key(instance_path):
    """Return the SECRET_KEY kept in `instance/secret_key`, creating it on first use.

    Local runs then keep their sessions across restarts without anyone choosing a key.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DASHBOARD_CACHE_DEFAULT = 300

    def __init__(self, instance_path=None):
        env = os.environ
        self.INSTANCE_PATH = str(instance_path or env.get("RUKUN_INSTANCE_PATH") or DEFAULT_INSTANCE)
        url = env.get("DATABASE_URL")
        self.SQLALCHEMY_DATABASE_URI = (
            normalise_database_url(url) if url else f"sqlite:///{Path(self.INSTANCE_PATH) / 'rukun.db'}"
        )
        self.SECRET_KEY = env.get("SECRET_KEY") or self.default_secret_key()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Settings for every PostgreSQL session (libpq `options`). JIT compiling costs more than it saves on this
        # app's queries: the national dashboard takes 0.6 s without it and 1.4 s with it at 100,000 packages.
        self.POSTGRES_OPTIONS = env.get("POSTGRES_OPTIONS", "-c jit=off")
        self.SQLALCHEMY_RECORD_QUERIES = False
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER") or str(Path(self.INSTANCE_PATH) / "uploads")
        # One photo or receipt may be PHOTO_MAX_BYTES; a whole request (a report with six photos) MAX_CONTENT_LENGTH.
        self.PHOTO_MAX_BYTES = int(env.get("PHOTO_MAX_BYTES", 10 * 1024 * 1024))
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", 64 * 1024 * 1024))
        self.BABEL_DEFAULT_LOCALE = env.get("BABEL_DEFAULT_LOCALE", "id")
        self.BABEL_DEFAULT_TIMEZONE = env.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
        self.LANGUAGES = ["id", "en"]
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "true").lower() != "false"
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
        # Creating API tokens, and API requests whose token is refused.
        self.TOKEN_RATE_LIMIT = env.get("TOKEN_RATE_LIMIT", "20 per hour")
        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # How many trusted proxies sit in front (X-Forwarded-* are believed only then); checked by create_app.
        self.PROXY_FIX_HOPS = env.get("PROXY_FIX_HOPS", "0")
        self.TILE_URL = env.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        self.TILE_ATTRIBUTION = env.get("TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
        self.MAIL_SERVER = env.get("MAIL_SERVER")
        self.MAIL_PORT = int(env.get("MAIL_PORT", 25))
        self.MAIL_SENDER = env.get("MAIL_SENDER", "Rukun <noreply@rukun.local>")
        self.PAGE_SIZE = 24
        # The goal the dashboard measures against: at most this % of slum RWs left by the end of that year.
        self.PROGRAMME_TARGET_PCT = int(env.get("PROGRAMME_TARGET_PCT", 0))
        self.PROGRAMME_TARGET_YEAR = int(env.get("PROGRAMME_TARGET_YEAR", 2030))
        # Dashboard figures are reused for this many seconds per worker (served up to twice as old while a
        # background thread recomputes them; app/services/dashboard_cache.py); 0 computes every view afresh.
        self.DASHBOARD_CACHE_SECONDS = int(env.get("DASHBOARD_CACHE_SECONDS", self.DASHBOARD_CACHE_DEFAULT))

    def default_secret_key(self):
        """Development and tests keep a generated key in the instance folder."""
        return local_secret_key(self.INSTANCE_PATH)


class DevelopmentConfig(Config):
    """Local runs: SQLite under instance/, generated secret key."""

    ENV_NAME = "development"
    # One process on a small database: figures are cheap, and a demo shows a change on the dashboard at once.
    DASHBOARD_CACHE_DEFAULT = 0


class TestingConfig(Config):
    """The test suite: a throw-away database, no rate limits unless a test asks for them."""

    ENV_NAME = "testing"
    __test__ = False  # not a pytest test class

    def __init__(self, instance_path=None):
        super().__init__(instance_path)
        self.TESTING = True
        url = os.environ.get("TEST_DATABASE_URL")
        self.SQLALCHEMY_DATABASE_URI = (
            normalise_database_url(url) if url else f"sqlite:///{Path(self.INSTANCE_PATH) / 'test.db'}"
        )
        self.RATELIMIT_ENABLED = False
        self.DASHBOARD_CACHE_SECONDS = 0  # tests read figures right after writing them; the cache has its own
        self.WTF_CSRF_ENABLED = False
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 test-only constant  # nosec B105


class ProductionConfig(Config):
    """Production: SECRET_KEY and DATABASE_URL must come from the environment."""

    ENV_NAME = "production"

    def __init__(self, instance_path=None):
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "RUKUN_ENV=production needs " + " and ".join(missing) + " in the environment."
            )
        super().__init__(instance_path)
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True

    def default_secret_key(self):
        """Never reached: __init__ refuses to start without SECRET_KEY."""
        raise RuntimeError("SECRET_KEY is required in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env(name=None, instance_path=None):
    """Instantiate the config class named by `name` or `RUKUN_ENV` (default development)."""
    name = name or os.environ.get("RUKUN_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown RUKUN_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None
    return cls(instance_path)
