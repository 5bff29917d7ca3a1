"""TuneWave's own deploy checks and start-up warnings (issue 11, item 10), each in a fresh process."""

import json
import secrets

import pytest

from tunewave.tests import clean_env, run_manage, run_python


@pytest.fixture
def collected(tmp_path):
    """A STATIC_ROOT as `collectstatic` leaves it: a manifest (here an empty one)."""
    root = tmp_path / "collected"
    root.mkdir()
    (root / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1", "hash": ""}))
    return root


@pytest.fixture
def never_collected(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    return root


def production_env(static_root, **extra: str) -> dict[str, str]:
    return clean_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="tunewave.example.com,testserver",
        STATIC_ROOT=str(static_root),
        **extra,
    )


def test_it_warns_when_dev_login_is_left_on_in_production(collected):
    result = run_manage("check", "--deploy", env=production_env(collected, TUNEWAVE_DEV_LOGIN="1"))

    output = result.stdout + result.stderr
    assert "tunewave.W001" in output
    assert "TUNEWAVE_DEV_LOGIN" in output
    assert "tunewave.W002" not in output


def test_it_warns_when_collectstatic_has_not_run(never_collected):
    result = run_manage("check", "--deploy", env=production_env(never_collected))

    output = result.stdout + result.stderr
    assert "tunewave.W002" in output
    assert "collectstatic" in output
    assert "tunewave.W001" not in output


def test_the_plain_check_stays_quiet_about_both(never_collected):
    """They are deploy checks: `manage.py check` (and `make run`, DEBUG on) say nothing."""
    result = run_manage("check", env=production_env(never_collected, TUNEWAVE_DEV_LOGIN="1"))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "tunewave.W00" not in output


ADMIN_LOGIN = """
import django
django.setup()
from django.test import Client
response = Client(raise_request_exception=False).get("/admin/login/", secure=True)
print(response.status_code)
print(response.content.decode()[:3000])
"""


def test_the_admin_login_page_works_before_collectstatic(never_collected, tmp_path):
    env = production_env(never_collected, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run_python(ADMIN_LOGIN, env)

    assert result.returncode == 0, result.stderr
    status, _, page = result.stdout.partition("\n")
    assert status == "200", result.stdout[-2000:] + result.stderr[-2000:]
    assert 'name="username"' in page
    assert "/static/admin/css/base.css" in page  # its plain URL: a 404 until collectstatic runs
    assert "is not in the collectstatic manifest" in result.stderr


STARTUP = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
import tunewave.asgi
print("started")
"""


def test_the_asgi_app_says_at_start_up_that_collectstatic_must_run(never_collected, tmp_path):
    result = run_python(STARTUP, production_env(never_collected, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    assert "collectstatic" in result.stderr
    assert str(never_collected) in result.stderr


def test_the_asgi_app_starts_quietly_once_collected(collected, tmp_path):
    result = run_python(STARTUP, production_env(collected, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))

    assert result.returncode == 0, result.stderr
    assert "collectstatic" not in result.stderr
