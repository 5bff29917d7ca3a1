"""TuneWave settings: every value comes from the environment (or an optional `.env`).

With nothing set, TuneWave runs embedded: SQLite, the in-memory channel layer, the
local-memory cache and eager Celery. `DATABASE_URL`, `REDIS_URL` and `CELERY_BROKER_URL`
switch each part to its real service. `.env.example` lists every variable.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from tunewave.logging import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development conveniences (debug pages, dev login, console e-mail); off in production.
DEBUG = env.bool("DEBUG", default=True)

# Signs sessions, OAuth state and JWTs. Only DEBUG may fall back to a throwaway key.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Fixed so that tokens from `issue_token` work against `make run`; DEBUG only.
    SECRET_KEY = "django-insecure-tunewave-dev-only-key-never-use-in-production-0123456789"  # noqa: S105

# Host names this server answers to.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

# Where the SPA lives; OAuth callbacks redirect here with the tokens in the URL fragment.
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000/app/").rstrip("/") + "/"
# Further origins allowed as OAuth redirect targets and WebSocket origins (e.g. the Vite dev server).
FRONTEND_ORIGINS = env.list("FRONTEND_ORIGINS", default=["http://localhost:5173", "http://127.0.0.1:5173"])

# The site's public origin. Socket frames (built once for a whole room, without a request) carry
# absolute media URLs on it; REST answers use the host each request was made to.
PUBLIC_URL = env.str("PUBLIC_URL", default=f"{urlsplit(FRONTEND_URL).scheme}://{urlsplit(FRONTEND_URL).netloc}")
if urlsplit(PUBLIC_URL).scheme not in ("http", "https") or not urlsplit(PUBLIC_URL).netloc:
    raise ImproperlyConfigured("PUBLIC_URL must be an http(s) origin, e.g. https://tunewave.example.com.")
if urlsplit(PUBLIC_URL).path.strip("/") or urlsplit(PUBLIC_URL).query or urlsplit(PUBLIC_URL).fragment:
    raise ImproperlyConfigured("PUBLIC_URL is an origin only (scheme and host), without a path.")
PUBLIC_URL = PUBLIC_URL.rstrip("/")

# Number of reverse proxies in front of Daphne whose X-Forwarded-For entries we trust.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Lets anyone sign in as any e-mail without OAuth: for trying TuneWave offline.
DEV_LOGIN_ENABLED = DEBUG or env.bool("TUNEWAVE_DEV_LOGIN", default=False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "channels",
    "social_django",
    "django_celery_beat",
    "accounts",
    "music",
    "social",
    "rooms",
    "chat",
    "recommendations",
    "search",
    "tunewave",  # the project's system checks (tunewave/checks.py)
]

MIDDLEWARE = [
    "tunewave.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tunewave.middleware.JsonNotFoundMiddleware",
    "tunewave.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tunewave.urls"
ASGI_APPLICATION = "tunewave.asgi.application"
WSGI_APPLICATION = None
APPEND_SLASH = False  # every API path answers with and without the slash (core.routes)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The database: SQLite file by default, PostgreSQL with DATABASE_URL=postgres://…
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite: wait for the writer instead of failing with "database is locked". A transaction
    # takes the write lock when it begins (IMMEDIATE): one that read first and then wrote beside
    # another such transaction was refused at once, the timeout notwithstanding.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis for cache, channel layer, rate limits and presence; unset = process-local stand-ins.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tw",
            # A Redis outage degrades the cache to misses instead of failing requests: the
            # database is the source of truth, and chat keeps saving while Redis restarts.
            # Presence shares this pool. On the request path Redis gets a second at most, and a
            # process that met a dead or hung Redis stops asking for a few seconds
            # (core/redis_guard.py). Values are JSON: a pickle in Redis would be code.
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": True,
                "CONNECTION_POOL_CLASS": "core.redis_guard.GuardedConnectionPool",
                "SERIALIZER": "core.redis_guard.JSONSerializer",
            },
        }
    }
    # "pubsub" (default): one PUBLISH per broadcast, watched for a Redis restart
    # (core/layers.py); "core": channels_redis's list-based layer.
    CHANNEL_LAYER_BACKEND = env.str("CHANNEL_LAYER_BACKEND", default="pubsub")
    if CHANNEL_LAYER_BACKEND == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "core.layers.WatchedPubSubChannelLayer",
                "CONFIG": {
                    # A Redis that vanishes without refusing (a dead host) fails a connect in 2 s.
                    "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 2}],
                    "prefix": "tw:asgi",
                    "probe_interval": 2,
                    "probe_timeout": 5,
                },
            }
        }
    elif CHANNEL_LAYER_BACKEND == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    # Longer than the layer's 5 s blocking pop: redis-py's default 5 s socket
                    # timeout would kill an idle consumer (1011) every ~5 s.
                    "hosts": [{"address": REDIS_URL, "socket_timeout": 10}],
                    "prefix": "tw:asgi",
                    "capacity": 1000,
                    "expiry": 30,
                },
            }
        }
    else:
        raise ImproperlyConfigured("CHANNEL_LAYER_BACKEND must be 'pubsub' or 'core'.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tunewave"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Rate limits count in the cache; if it is unreachable, let requests through rather than refuse all.
RATELIMIT_FAIL_OPEN = True
# Every documented rate limit (REST and socket) is on; 0 turns them all off, for load and fuzz runs
# against a private server only (bench/fuzz_api.py), never in production.
RATELIMIT_ENABLE = env.bool("RATE_LIMITS_ENABLED", default=True)

# Celery: RabbitMQ with CELERY_BROKER_URL, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
# Where task results go (only health checks read them); Redis when it is configured.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds to connect to the broker, AMQP handshake included: an enqueue inside an API call waits
# at most this when the broker is down or hung (core.background.enqueue). Raise it for a distant broker.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=0.5)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs; beat copies them into django-celery-beat's tables, where admins can edit them.
CELERY_BEAT_SCHEDULE = {
    "music-enrich-pending": {"task": "music.tasks.enrich_pending", "schedule": 15 * 60},
    "recommendations-recompute": {"task": "recommendations.tasks.recompute", "schedule": 60 * 60},
    "social-emails-requeue": {"task": "social.tasks.emails_requeue", "schedule": 60},
    "prune": {"task": "rooms.tasks.prune", "schedule": 6 * 60 * 60},
}
CELERY_TIMEZONE = "UTC"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "social_core.backends.google.GoogleOAuth2",
    # social-core's Spotify backend with its base URLs from SPOTIFY_ACCOUNTS_URL / SPOTIFY_API_URL.
    "accounts.backends.SpotifyOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where `collectstatic` writes (and, with DEBUG off, WhiteNoise serves) the static files.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "tunewave.storage.ForgivingManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded avatars live here (served by Django in DEBUG, by nginx in production).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# Let Daphne serve uploads itself (one-box setups); behind nginx, nginx serves /media/.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)

# Request bodies: JSON bodies over 1 MiB are refused; avatar files have their own 5 MB cap.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
# PNG and WebP avatars decode at full size (only JPEG decodes at a reduced scale): 16 MP is 64 MB.
AVATAR_MAX_FULL_DECODE_PIXELS = 16_000_000
AVATAR_SIZE = 512
# Uploaded audio (POST /track/upload): the most one file may have (413 above it, counted while the
# body streams to disk; deploy/nginx.conf's body cap for that path matches it), and the most one
# listener may store in all (409 above it).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
UPLOAD_QUOTA_BYTES = env.int("UPLOAD_QUOTA_BYTES", default=500 * 1024 * 1024)

# E-mail: console in the embedded default, SMTP (or any backend) from EMAIL_URL.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TuneWave <no-reply@tunewave.local>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # drf-spectacular, plus every operation's error responses in the one error shape.
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# A refresh token spent this many seconds ago or less, presented again, is a lost race (another
# tab): 401 and nothing else. Later, it is a copy: the whole sign-in it belongs to is revoked.
JWT_REFRESH_REUSE_GRACE_SECONDS = env.int("JWT_REFRESH_REUSE_GRACE_SECONDS", default=10)
# Single-use WebSocket tickets (POST /auth/ws-ticket) live this many seconds.
WS_TICKET_TTL = 30

# --- Crowded rooms (issue 17): the room socket under load; docs/realtime.md ---------------
# Listeners named in a room socket's first `presence` frame and in each `presence.page` answer.
ROOM_PRESENCE_PAGE = env.int("ROOM_PRESENCE_PAGE", default=50)
# Rooms with more listeners than this hear joins and leaves as a count (`room.audience`, at most
# once per ROOM_PRESENCE_COUNT_SECONDS per process) instead of `member.joined` / `member.left`.
ROOM_PRESENCE_LIVE_MAX = env.int("ROOM_PRESENCE_LIVE_MAX", default=100)
ROOM_PRESENCE_COUNT_SECONDS = env.float("ROOM_PRESENCE_COUNT_SECONDS", default=1.0)
# ...and a larger room less often: at most this many of those frames a second (listeners /
# rate seconds apart: every 4 s for 1,000 listeners). 0: no limit.
ROOM_PRESENCE_COUNT_RATE = env.float("ROOM_PRESENCE_COUNT_RATE", default=250.0)
# Seconds a room socket's admission (user, room -> access) is remembered in the cache, so a
# reconnect skips the database; bans, role and room changes forget it at once (rooms.access).
ROOM_ADMISSION_CACHE_SECONDS = env.int("ROOM_ADMISSION_CACHE_SECONDS", default=60)
# Socket handshakes one server process works on at once; more are closed with 4429 ("busy").
# A join costs a few ms of CPU once its reads are remembered (docs/architecture.md), so 500 wait
# a few seconds at most, well inside WS_CONNECT_TIMEOUT; a refusal costs a handshake and the
# client's wait (bench/README.md, "Crowded rooms").
WS_MAX_HANDSHAKES = env.int("WS_MAX_HANDSHAKES", default=500)
# The retry delay told to a client closed with 4429, in ms: this, plus up to as much again (jitter).
WS_BUSY_RETRY_MS = env.int("WS_BUSY_RETRY_MS", default=500)
# On SIGTERM, seconds the server (tunewave.serve) gives its sockets to close (4503) before it exits.
WS_DRAIN_SECONDS = env.float("WS_DRAIN_SECONDS", default=10.0)

SPECTACULAR_SETTINGS = {
    "TITLE": "TuneWave API",
    "DESCRIPTION": "Rooms where music lovers listen together, chat, make friends and discover music.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["core.routes.drop_slash_duplicates"],
    "ENUM_NAME_OVERRIDES": {
        "RoomPolicyEnum": "rooms.models.Room.Policy",
        "MemberRoleEnum": "rooms.models.Membership.Role",
        # Sign-in providers, as GET /auth/config lists them and POST /auth/link takes one.
        "ProvidersEnum": ["google", "spotify"],
        # Two fields named `spotify`: /users/me `playback.spotify`, and GET /search's (whose enum
        # keeps its name).
        "SpotifyPlaybackEnum": "accounts.spotify_player.STATUSES",
        "SpotifyEnum": ["ok", "failed", "off"],
    },
}

# OAuth (social-auth-app-django). Providers without credentials are simply not offered.
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
SPOTIFY_CLIENT_ID = env.str("SPOTIFY_CLIENT_ID", default="")
SPOTIFY_CLIENT_SECRET = env.str("SPOTIFY_CLIENT_SECRET", default="")
# Spotify catalogue lookups (music/spotify.py): seconds before one HTTP call to Spotify gives up.
SPOTIFY_TIMEOUT = env.float("SPOTIFY_TIMEOUT", default=5.0)
# Extra attempts after a 429 or 5xx from Spotify (waiting Retry-After, else an exponential backoff).
SPOTIFY_MAX_RETRIES = env.int("SPOTIFY_MAX_RETRIES", default=2)
# Longest wait between attempts, in seconds; if Spotify asks for longer we give up at once (503).
SPOTIFY_MAX_RETRY_WAIT = env.float("SPOTIFY_MAX_RETRY_WAIT", default=10.0)
# How long Spotify's answers (a track, an artist, "no such id") stay in the cache, in seconds.
SPOTIFY_CACHE_SECONDS = env.int("SPOTIFY_CACHE_SECONDS", default=24 * 3600)
# Artists enriched from Spotify (genres, image) more recently than this many days are not asked again.
SPOTIFY_ENRICH_MAX_AGE_DAYS = env.int("SPOTIFY_ENRICH_MAX_AGE_DAYS", default=30)
# Spotify's accounts service (sign-in, token refresh) and Web API base URLs; the browser tests point
# them at a local stub (frontend/e2e/spotify_stub.py).
SPOTIFY_ACCOUNTS_URL = env.str("SPOTIFY_ACCOUNTS_URL", default="https://accounts.spotify.com").rstrip("/")
SPOTIFY_API_URL = env.str("SPOTIFY_API_URL", default="https://api.spotify.com").rstrip("/")
# The Web Playback SDK script the web app loads for Premium listeners (GET /auth/config says where).
SPOTIFY_SDK_URL = env.str("SPOTIFY_SDK_URL", default="https://sdk.scdn.co/spotify-player.js")
SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = GOOGLE_CLIENT_ID
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = GOOGLE_CLIENT_SECRET
SOCIAL_AUTH_GOOGLE_OAUTH2_SCOPE = ["openid", "email", "profile"]
SOCIAL_AUTH_SPOTIFY_KEY = SPOTIFY_CLIENT_ID
SOCIAL_AUTH_SPOTIFY_SECRET = SPOTIFY_CLIENT_SECRET
SOCIAL_AUTH_SPOTIFY_SCOPE = [
    "user-read-email",
    "user-read-private",
    "streaming",
    "user-read-playback-state",
    "user-modify-playback-state",
]
# Besides access/refresh token (kept by the backend): the expiry, for refreshing before calls, the
# granted scope (the player needs `streaming`) and the account's `product` (`premium` or `free`,
# from /v1/me: the Web Playback SDK plays for Premium accounts only).
SOCIAL_AUTH_SPOTIFY_EXTRA_DATA = [("expires_in", "expires_in"), ("scope", "scope"), ("product", "product")]
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_USER_MODEL = AUTH_USER_MODEL
SOCIAL_AUTH_REDIRECT_IS_HTTPS = env.bool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", default=not DEBUG)
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "accounts.oauth.link_current_user",
    "accounts.oauth.associate_by_verified_email",
    "accounts.oauth.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "accounts.oauth.update_profile",
)

# Production security (all on when DEBUG is off; see README "Deployment").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=sorted({f"{urlsplit(FRONTEND_URL).scheme}://{urlsplit(FRONTEND_URL).netloc}", *FRONTEND_ORIGINS}),
)
X_FRAME_OPTIONS = "DENY"

# Metrics (tunewave/metrics.py, core/metrics.py; README "Metrics").
# The bearer token Prometheus sends to read /metrics; unset, /metrics answers 404 like any unknown path.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 random characters (or unset: /metrics off).")
# django-prometheus: every request's count, latency and status, measured around all other middleware.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# A Prometheus on the private network may scrape a Daphne port directly, without TLS (like the probes).
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics/?$"]

# Logs (tunewave/logging.py, docs/operations.md): "human" for a terminal, "json" (one object per
# line, with the request id) where logs are collected; the Docker image and the stack set json.
LOG_FORMAT = env.str("LOG_FORMAT", default="human")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "tunewave.logging.RedactTokensFilter"},
        "request_id": {"()": "tunewave.logging.RequestIdFilter"},
    },
    "formatters": {
        "human": {"()": "tunewave.logging.HumanFormatter"},
        "json": {"()": "tunewave.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_tokens", "request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "human",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "daphne": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # RequestLogMiddleware writes the access line; Django's own "Not Found: /x" lines repeat it.
        "django.request": {"level": "ERROR"},
    },
}

# Error reports to Sentry, off unless SENTRY_DSN is set; events are redacted like the logs.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
    )
