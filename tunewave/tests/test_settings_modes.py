"""The two ways to run TuneWave, and the production guard rails, each in a fresh process.

Settings are read once at import, so every case starts its own interpreter with an
environment built for it (none of the caller's DATABASE_URL, REDIS_URL, … leak in).
"""

import json
import secrets

import pytest

from tunewave.tests import BASE_DIR, clean_env, run_manage, run_python

MODE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")

SERVICES = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tunewave",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
}

# Imports settings and the Celery app; connects to nothing.
DESCRIBE_MODE = """
import json
import django
django.setup()
from django.conf import settings
from tunewave.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
}))
"""


# What these tests set or leave unset on purpose.
CONTROLLED = (*MODE_VARIABLES, "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "TRUSTED_PROXY_COUNT", "STATIC_ROOT")

# A STATIC_ROOT as `collectstatic` leaves it (its manifest), so the deploy check is about the
# settings alone; tunewave/tests/test_deploy_checks.py covers a STATIC_ROOT never collected.
COLLECTED_STATIC: dict[str, str] = {}


@pytest.fixture(autouse=True, scope="module")
def _collected_static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    (root / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1", "hash": ""}))
    COLLECTED_STATIC["STATIC_ROOT"] = str(root)


@pytest.fixture(autouse=True)
def _nothing_controlled_in_dotenv():
    """A developer's `.env` fills in what the environment leaves unset, which would blur these cases."""
    dotenv = BASE_DIR / ".env"
    if dotenv.exists():
        lines = [line.strip().removeprefix("export ").strip() for line in dotenv.read_text().splitlines()]
        named = [name for name in CONTROLLED if any(line.startswith(f"{name}=") for line in lines)]
        if named:
            pytest.skip(f".env sets {', '.join(named)}; these tests need the environment alone to decide")


def describe_mode(**env: str) -> dict:
    result = run_python(DESCRIBE_MODE, clean_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env(**extra: str) -> dict[str, str]:
    return clean_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="tunewave.example.com",
        **COLLECTED_STATIC,
        **extra,
    )


def test_it_runs_embedded_with_no_environment():
    mode = describe_mode()

    assert mode["engine"] == "django.db.backends.sqlite3"
    assert mode["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert mode["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert mode["eager"] is True


def test_it_switches_to_real_services_with_the_three_urls():
    mode = describe_mode(**SERVICES)

    assert mode["engine"] == "django.db.backends.postgresql"
    assert mode["channel_layer"] == "core.layers.WatchedPubSubChannelLayer"
    assert mode["cache"] == "django_redis.cache.RedisCache"
    assert mode["eager"] is False
    assert mode["broker"].startswith("amqp://")


def test_the_core_redis_layer_can_be_chosen_and_a_typo_refuses_to_start():
    assert describe_mode(**SERVICES, CHANNEL_LAYER_BACKEND="core")["channel_layer"] == (
        "channels_redis.core.RedisChannelLayer"
    )
    result = run_python(DESCRIBE_MODE, clean_env(**SERVICES, CHANNEL_LAYER_BACKEND="redis"))
    assert result.returncode != 0
    assert "CHANNEL_LAYER_BACKEND must be 'pubsub' or 'core'" in result.stderr


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", env=clean_env(DEBUG="0", ALLOWED_HOSTS="tunewave.example.com"))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_passes_the_deploy_check_with_production_settings():
    result = run_manage("check", "--deploy", env=production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_it_passes_the_deploy_check_behind_nginx():
    # The README's production settings: one trusted proxy (nginx) that sets X-Forwarded-Proto.
    result = run_manage("check", "--deploy", env=production_env(TRUSTED_PROXY_COUNT="1"))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_it_turns_off_dev_conveniences_when_debug_is_off():
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.DEBUG, settings.DEV_LOGIN_ENABLED, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS > 0]))"
    )
    result = run_python(code, production_env())

    assert result.returncode == 0, result.stderr
    debug, dev_login, *secure = json.loads(result.stdout.strip().splitlines()[-1])
    assert debug is False
    assert dev_login is False
    assert all(secure)


# Two transactions that read, then write, at the same moment (as two sign-ups do).
READ_THEN_WRITE = """
import json, threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
connection.close()
barrier = threading.Barrier(2)
errors = []

def sign_up(n):
    from django.db import connection
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM t")
                try:  # both read before either writes, unless the first holds the lock already
                    barrier.wait(timeout=1)
                except threading.BrokenBarrierError:
                    pass
                time.sleep(0.2)
                cursor.execute("INSERT INTO t VALUES (%s)", [n])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()

threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(errors))
"""


def test_embedded_sqlite_queues_concurrent_writers_instead_of_failing(tmp_path):
    """Two dev logins at once gave one of them a 500 ("database is locked"): SQLite refused a
    read lock's upgrade at once instead of waiting. Transactions now take the write lock first."""
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'race.sqlite3'}")
    result = run_python(READ_THEN_WRITE, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
