"""Backup and restore: what one TuneWave served, a TuneWave restored into an empty database and an
empty MEDIA_ROOT serves the same (rooms, chat history, avatar bytes), on SQLite and, in services
mode, on a fresh PostgreSQL database too."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image
from psycopg import sql
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_issue
from chat import services as chat_services
from chat.models import Message
from rooms import services as room_services
from rooms.tests.factories import make_room
from tunewave.tests import clean_env, run_manage, run_python

pytestmark = pytest.mark.django_db(transaction=True)  # the backup's snapshot is a transaction of its own


def what_is_served(username: str, room_id: str) -> dict:
    """What `username` sees through the API: the room list, the room's chat history, and their
    avatar's bytes. Runs here and, against the restored database, in another process."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=User.objects.get(username=username))['access']}")
    rooms = client.get("/rooms")
    assert rooms.status_code == 200, rooms.content
    listed = rooms.json()
    listed = listed.get("results", listed) if isinstance(listed, dict) else listed
    chat = client.get(f"/chat/{room_id}", {"limit": 50})
    assert chat.status_code == 200, chat.content
    me = client.get("/users/me").json()
    avatar = client.get(me["avatar_url"].replace("http://testserver", ""))
    assert avatar.status_code == 200
    return {
        "rooms": sorted((room["id"], room["name"]) for room in listed),
        "chat": [(m["id"], m["user"]["username"], m["text"], m["created_at"]) for m in chat.json()],
        "me": {"id": me["id"], "username": me["username"], "display_name": me["display_name"]},
        "avatar_sha256": hashlib.sha256(avatar.getvalue()).hexdigest(),
    }


SERVE_SCRIPT = """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from tunewave.tests.test_backup import what_is_served
print(json.dumps(what_is_served({username!r}, {room_id!r})))
"""


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 140, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def site(alice, bob, as_user):
    """Two people, two rooms, a conversation and an avatar."""
    room = make_room(owner=alice, name="Jazz Club", genres=["jazz"])
    make_room(owner=bob, name="Shoegaze Hour", genres=["shoegaze"])
    room_services.room_join(room=room, user=bob)
    for user, text in [(alice, "welcome!"), (bob, "hi, ünïcode ✓"), (alice, "next up: Coltrane")]:
        chat_services.message_send(room=room, user=user, text=text)
    uploaded = as_user(alice).post(
        "/users/me/avatar", {"avatar_file": SimpleUploadedFile("me.png", png(), "image/png")}, format="multipart"
    )
    assert uploaded.status_code == 200, uploaded.content
    return {"room_id": str(room.pk), "served": what_is_served("alice", str(room.pk))}


def backup(tmp_path) -> Path:
    call_command("backup", str(tmp_path), stdout=io.StringIO())
    [archive] = tmp_path.glob("tunewave-backup-*.tar.gz")
    return archive


def postgres_target(name: str):
    """A fresh database beside the test database, dropped afterwards."""
    db = settings.DATABASES["default"]
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"], "dbname": "postgres"}
    if db["PASSWORD"]:
        params["password"] = db["PASSWORD"]

    def run(statement):
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(statement)

    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{params['host']}:{params['port']}/{name}"
    return url, lambda: run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_target(request, tmp_path):
    """DATABASE_URL of an empty database, and an empty MEDIA_ROOT."""
    media = tmp_path / "restored-media"
    if request.param == "sqlite":
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}", "MEDIA_ROOT": str(media)}
        return
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("services mode only: restores into a fresh PostgreSQL database")
    url, drop = postgres_target(f"{settings.DATABASES['default']['NAME']}_restore")
    try:
        yield {"DATABASE_URL": url, "MEDIA_ROOT": str(media)}
    finally:
        drop()


def test_a_restored_site_serves_the_same_rooms_chats_and_avatars(site, tmp_path, empty_target):
    archive = backup(tmp_path)
    env = clean_env(**empty_target)

    restored = run_manage("restore", str(archive), env=env)

    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout and "chat.message: 3" in restored.stdout
    assert "accounts.user: 2" in restored.stdout
    served = run_python(SERVE_SCRIPT.format(username="alice", room_id=site["room_id"]), env=env)
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout.strip().splitlines()[-1]) == json.loads(json.dumps(site["served"]))
    assert len(list(Path(empty_target["MEDIA_ROOT"]).rglob("*.webp"))) == 1


def test_the_archive_says_what_it_holds(site, tmp_path):
    archive = backup(tmp_path)

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
    assert manifest["counts"]["chat.message"] == 3
    assert manifest["counts"]["accounts.user"] == 2
    assert manifest["counts"]["rooms.room"] == 2
    assert "contenttypes.contenttype" not in manifest["counts"]
    assert names == {"manifest.json", *manifest["sha256"]}
    assert any(name.startswith("media/avatars/") for name in names)
    assert manifest["database_vendor"] == (
        "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    )


def test_restore_refuses_a_database_that_holds_data(site, tmp_path):
    archive = backup(tmp_path)
    Message.objects.filter(text="welcome!").delete()

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert not Message.objects.filter(text="welcome!").exists()


def test_restore_with_force_replaces_what_the_database_holds(site, tmp_path, settings):
    archive = backup(tmp_path)
    Message.objects.filter(text="welcome!").delete()
    User.objects.create_user(username="mallory", password="x" * 20)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.write_bytes(b"not the avatar")

    out = io.StringIO()
    call_command("restore", str(archive), "--force", stdout=out)

    assert Message.objects.filter(text="welcome!").exists()
    assert not User.objects.filter(username="mallory").exists()
    assert "overwrote media file avatars/" in out.getvalue()
    assert what_is_served("alice", site["room_id"]) == site["served"]


def test_restore_refuses_a_damaged_archive(site, tmp_path):
    archive = backup(tmp_path)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name == "data.json":
                content = content.replace(b"next up: Coltrane", b"next up: Kenny G!")
                member.size = len(content)
            target.addfile(member, io.BytesIO(content))

    with pytest.raises(CommandError, match="Checksum mismatch for data.json"):
        call_command("restore", str(damaged), "--force", stdout=io.StringIO())

    assert Message.objects.filter(text="next up: Coltrane").exists()
