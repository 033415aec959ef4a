"""Settings from environment variables, one class per environment."""

import os


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class BaseConfig:
    API_TITLE = "Pitstop API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}
    }
    MAX_CONTENT_LENGTH = 64 * 1024  # request bodies are small JSON documents
    IMPORT_MAX_BYTES = 64 * 1024 * 1024  # an uploaded import file (POST /imports) may be this large
    EXPORT_DIR = _env("EXPORT_DIR")  # where export files are written; default <instance>/exports
    # Days an export file is kept for download; older ones are removed by the transfer_jobs job.
    EXPORT_RETENTION_DAYS = int(_env("EXPORT_RETENTION_DAYS") or 7)
    DEFERRED_AFTER_RESPONSE = True  # deferred consequences run once the response is sent (app/common/deferred.py)
    # No ping before each checkout (a round trip on every request): a connection found dead when used
    # is answered 503 database_unavailable with Retry-After, and the pool then drops every connection
    # opened before the failure, so a database restart costs each worker at most one retried request.
    # Connections are renewed hourly, ahead of idle timeouts in proxies and firewalls.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 3600}
    TOKEN_TTL_SECONDS = 7 * 24 * 3600
    MEMBER_CARD_TOKEN_TTL_SECONDS = 120
    MERCHANT_TIMEZONE = "Asia/Shanghai"
    WECHAT_MODE = "fake"
    WECHAT_APPID = "wx-fake-appid"
    WECHAT_SECRET = None
    # Subscribe-message template ids by template key (live mode sends by id).
    WECHAT_TEMPLATE_IDS = {}
    WECHAT_PAY_MCHID = None
    WECHAT_PAY_PRIVATE_KEY = None
    WECHAT_PAY_CERT_SERIAL_NO = None
    WECHAT_PAY_APIV3_KEY = None
    WECHAT_PAY_NOTIFY_URL = None
    WECHAT_PAY_PLATFORM_CERTS_DIR = None
    WECHAT_PAY_PUBLIC_KEY = None
    WECHAT_PAY_PUBLIC_KEY_ID = None
    # Refunds are followed by asking WeChat (the payment_refunds job), so no notice URL is needed;
    # one set here must not be the payment URL, which takes payment notices only.
    WECHAT_PAY_REFUND_NOTIFY_URL = None
    WECHAT_MINIPROGRAM_STATE = "formal"  # formal | trial | developer: which version messages and codes open
    WECHAT_HTTP_TIMEOUT = (3.05, 10)  # (connect, read) seconds for WeChat and WeChat Pay calls
    # SMS (app/sms): "fake" records messages offline; "live" sends through Tencent Cloud SMS and
    # refuses to start without its keys, app id and signature (no defaults: they are secrets).
    SMS_MODE = "fake"
    SMS_SECRET_ID = None
    SMS_SECRET_KEY = None
    SMS_SDK_APP_ID = None
    SMS_SIGN_NAME = None  # the approved signature, shown as 【…】
    SMS_REGION = "ap-guangzhou"
    SMS_TEMPLATE_IDS = {}  # message kind -> approved template id (app/sms/templates.py)
    SMS_HTTP_TIMEOUT = 10
    DEV_ENDPOINTS = False  # development-only helpers such as confirming a fake payment
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "20 per minute"
    VALUE_RATE_LIMIT = "120 per minute"
    PROXY_FIX_X_FOR = 0  # number of reverse proxies in front (sets the client address from X-Forwarded-For)
    CORS_ORIGINS = ()  # staff-console origins allowed to call the API from a browser


def _from_environment(cls):
    """Overlay environment variables on a config class's defaults."""
    cls.SECRET_KEY = _env("SECRET_KEY", getattr(cls, "SECRET_KEY", None))
    cls.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", getattr(cls, "SQLALCHEMY_DATABASE_URI", None))
    cls.WECHAT_MODE = _env("WECHAT_MODE", cls.WECHAT_MODE)
    cls.WECHAT_APPID = _env("WECHAT_APPID", cls.WECHAT_APPID)
    cls.WECHAT_SECRET = _env("WECHAT_SECRET", cls.WECHAT_SECRET)
    cls.WECHAT_PAY_MCHID = _env("WECHAT_PAY_MCHID", cls.WECHAT_PAY_MCHID)
    cls.WECHAT_PAY_PRIVATE_KEY = _env("WECHAT_PAY_PRIVATE_KEY", cls.WECHAT_PAY_PRIVATE_KEY)
    cls.WECHAT_PAY_CERT_SERIAL_NO = _env("WECHAT_PAY_CERT_SERIAL_NO", cls.WECHAT_PAY_CERT_SERIAL_NO)
    cls.WECHAT_PAY_APIV3_KEY = _env("WECHAT_PAY_APIV3_KEY", cls.WECHAT_PAY_APIV3_KEY)
    cls.WECHAT_PAY_NOTIFY_URL = _env("WECHAT_PAY_NOTIFY_URL", cls.WECHAT_PAY_NOTIFY_URL)
    cls.WECHAT_PAY_PUBLIC_KEY = _env("WECHAT_PAY_PUBLIC_KEY", cls.WECHAT_PAY_PUBLIC_KEY)
    cls.WECHAT_PAY_PUBLIC_KEY_ID = _env("WECHAT_PAY_PUBLIC_KEY_ID", cls.WECHAT_PAY_PUBLIC_KEY_ID)
    cls.WECHAT_PAY_PLATFORM_CERTS_DIR = _env("WECHAT_PAY_PLATFORM_CERTS_DIR", cls.WECHAT_PAY_PLATFORM_CERTS_DIR)
    cls.WECHAT_PAY_REFUND_NOTIFY_URL = _env("WECHAT_PAY_REFUND_NOTIFY_URL", cls.WECHAT_PAY_REFUND_NOTIFY_URL)
    cls.WECHAT_MINIPROGRAM_STATE = _env("WECHAT_MINIPROGRAM_STATE", cls.WECHAT_MINIPROGRAM_STATE)
    cls.SMS_MODE = _env("SMS_MODE", cls.SMS_MODE)
    for name in ("SMS_SECRET_ID", "SMS_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME", "SMS_REGION"):
        setattr(cls, name, _env(name, getattr(cls, name)))
    template_ids = _env("SMS_TEMPLATE_IDS")  # kind=id,kind=id
    if template_ids:
        cls.SMS_TEMPLATE_IDS = dict(pair.strip().split("=", 1) for pair in template_ids.split(",") if "=" in pair)
    cls.REDIS_URL = _env("REDIS_URL")
    cls.MERCHANT_TIMEZONE = _env("MERCHANT_TIMEZONE", cls.MERCHANT_TIMEZONE)
    cls.PROXY_FIX_X_FOR = int(_env("PROXY_FIX_X_FOR", cls.PROXY_FIX_X_FOR))
    origins = _env("CORS_ORIGINS")
    cls.CORS_ORIGINS = tuple(o.strip() for o in origins.split(",")) if origins else cls.CORS_ORIGINS
    return cls


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    # A fixed key keeps demo tokens valid across restarts; production must set SECRET_KEY.
    SECRET_KEY = "pitstop-development-only-key-change-me-0123456789"
    SQLALCHEMY_DATABASE_URI = "sqlite:///pitstop-dev.db"
    DEV_ENDPOINTS = True


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    # Staff passwords hashed quickly: scrypt's deliberate 0.1 s per hash and per check was most of a
    # test's set-up (five accounts made and logged in). Every other settings class keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = False  # the rate-limit tests turn it on
    SECRET_KEY = "pitstop-test-key-0123456789-0123456789-0123"
    DEV_ENDPOINTS = True
    TRANSFER_INLINE = True  # imports and exports run in the request, after its commit (app/transfer/runner.py)
    # What a request defers past its commit runs before the response, so a test reads it at once
    # (app/common/deferred.py); elsewhere it runs once the response has been sent.
    DEFERRED_AFTER_RESPONSE = False


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}
MIN_SECRET_KEY_BYTES = 32


class ConfigurationError(RuntimeError):
    """The environment cannot run the service; the message says what to set."""


def load_config(name=None):
    """The settings of PITSTOP_ENV; without it, production's: a deployment that forgets to name its
    environment must not run with the published development key and the development helpers."""
    name = name or _env("PITSTOP_ENV", "production")
    if name not in CONFIGS:
        raise ConfigurationError(f"PITSTOP_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    cls = _from_environment(type(f"{name.title()}Settings", (CONFIGS[name],), {}))
    if name == "production":
        _check_production(cls)
    return cls


def check_sms(config):
    """Live SMS needs its keys, app id and signature; without them the service does not start."""
    get = config.get
    if get("SMS_MODE") not in ("fake", "live"):
        raise ConfigurationError(f"SMS_MODE={get('SMS_MODE')!r} is not fake or live")
    if get("SMS_MODE") == "live":
        missing = [
            name for name in ("SMS_SECRET_ID", "SMS_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME") if not get(name)
        ]
        if missing:
            raise ConfigurationError(f"SMS_MODE=live needs {', '.join(missing)} in the environment.")


def _check_production(cls):
    required = (("SECRET_KEY", cls.SECRET_KEY), ("DATABASE_URL", cls.SQLALCHEMY_DATABASE_URI))
    missing = [env for env, value in required if not value]
    if missing:
        raise ConfigurationError(
            f"Pitstop runs with production rules (PITSTOP_ENV is {_env('PITSTOP_ENV') or 'not set'}) and needs "
            f"{' and '.join(missing)} in the environment. Set them, or PITSTOP_ENV=development for a local run."
        )
    if len(cls.SECRET_KEY.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigurationError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes (tokens are signed with it); "
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
