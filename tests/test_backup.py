"""`manage.py backup` and `manage.py restore` (make backup, make restore): a backup of a small
but representative portal, restored by the real command into an empty database of the
engine the suite runs on (a new PostgreSQL database, or a new SQLite file), finds every row
of every model, the exact values, and the media files byte for byte."""

import datetime
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import override_settings
from django.utils import translation

from communities.models import Community
from operations.backup import BackupError, backup_create, backup_restore
from ratings.models import Evidence, RoundStatus
from services.domain import service_record
from services.models import ServiceRecord, TimeBankEntry, Volunteer
from tests.factories import make_community, make_township, make_user, make_volunteer
from tests.ratings.factories import make_declaration, make_round

# pg_dump and the restoring process see committed rows only.
committed = pytest.mark.django_db(transaction=True)

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # binary, not text
DOCUMENT = "西园社区2026年度创建材料\n".encode()


@pytest.fixture
def media(tmp_path):
    """Uploads on disk under tmp_path/media (the suite keeps them in memory otherwise)."""
    root = tmp_path / "media"
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with override_settings(MEDIA_ROOT=root, STORAGES=storages):
        yield root


@pytest.fixture
def portal(media):
    """A community with a Chinese name, a volunteer's time-bank deposit, a declaration with
    two evidence files on disk."""
    township = make_township(code="qdh", name="千岛湖镇")
    community = make_community(township=township, code="xiyuan", name="西园社区")
    clerk = make_user(username="clerk_xiyuan", first_name="李", last_name="文")
    volunteer = make_volunteer(community=community, name="王小明")
    record = service_record(
        volunteer=volunteer,
        served_on=datetime.date(2026, 3, 1),
        hours=Decimal("2.5"),
        activity="助老服务：陪伴就医",
        by=clerk,
    )
    round_ = make_round(code="2026", status=RoundStatus.REVIEW)
    declaration = make_declaration(round=round_, community=community)
    photo = Evidence.objects.create(
        declaration=declaration,
        kind=Evidence.Kind.IMAGE,
        file=ContentFile(PHOTO, name="photo.png"),
        original_name="活动照片.png",
        content_type="image/png",
        size=len(PHOTO),
        caption="重阳节敬老活动",
        uploaded_by=clerk,
    )
    Evidence.objects.create(
        declaration=declaration,
        kind=Evidence.Kind.DOCUMENT,
        file=ContentFile(DOCUMENT, name="材料.txt"),
        original_name="创建材料.txt",
        content_type="text/plain",
        size=len(DOCUMENT),
        uploaded_by=clerk,
    )
    return {"community": community, "volunteer": volunteer, "record": record, "photo": photo}


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the suite's engine, its DATABASE_URL, and its settings; dropped
    (or deleted) afterwards."""
    source = connection.settings_dict
    if connection.vendor == "postgresql":
        name = f"chunan_restore_{uuid.uuid4().hex[:10]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        auth = source["USER"] + (f":{source['PASSWORD']}" if source["PASSWORD"] else "")
        url = f"postgres://{auth}@{source['HOST'] or 'localhost'}:{source['PORT'] or 5432}/{name}"
    else:
        name = str(tmp_path / "restored.sqlite3")
        url = f"sqlite:///{name}"
    yield url, {**source, "NAME": name}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restored(empty_database):
    """The empty database as the connection alias "restored", for the ORM's .using()."""
    _url, settings_dict = empty_database
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "restored")
    connections["restored"] = wrapper
    yield wrapper
    wrapper.close()
    del connections["restored"]


def manage_command(*args, database_url, **environment):
    """`manage.py <args>` in its own process, with the production settings, as an operator
    runs it: the database (and any other setting) is that of its environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chunan_community.settings",
        "DJANGO_SECRET_KEY": "backup-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_HTTPS": "false",
        "DATABASE_URL": database_url,
        "CHUNAN_CACHE_URL": "locmemcache://",
        **environment,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def restore_command(archive, database_url, media_root, *options):
    """`manage.py restore`: the restored database and MEDIA_ROOT are its environment's."""
    return manage_command(
        "restore",
        str(archive),
        *options,
        database_url=database_url,
        DJANGO_MEDIA_ROOT=str(media_root),
    )


def backup(tmp_path) -> Path:
    archive = tmp_path / "backups" / "portal.tar.gz"
    call_command("backup", output=archive, stdout=io.StringIO())
    return archive


def model_counts(alias) -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.using(alias).count()
        for model in apps.get_models(include_auto_created=True)
    }


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def forged_archive(tmp_path, engine) -> Path:
    """An archive that holds only a manifest: enough for the checks made before a restore."""
    manifest = {"format": 1, "engine": engine, "tables": {}, "media": {}, "migrations": {}}
    data = json.dumps(manifest).encode()
    archive = tmp_path / f"{engine}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return archive


@committed
def test_backup_restores_into_an_empty_database_with_every_row_and_file(
    portal, media, tmp_path, empty_database, restored
):
    archive = backup(tmp_path)
    database_url, _settings = empty_database
    restored_media = tmp_path / "restored-media"

    done = restore_command(archive, database_url, restored_media)

    assert done.returncode == 0, done.stderr
    counts = model_counts("default")
    assert model_counts("restored") == counts
    assert counts["ratings.Evidence"] == 2
    assert counts["services.TimeBankEntry"] == 1
    community = Community.objects.using("restored").get(code="xiyuan")
    assert (community.name, community.township.name) == ("西园社区", "千岛湖镇")
    volunteer = Volunteer.objects.using("restored").get(pk=portal["volunteer"].pk)
    assert volunteer.name == "王小明"
    entry = TimeBankEntry.objects.using("restored").get()
    assert (entry.kind, entry.hours, entry.on, entry.service_record_id, entry.volunteer_id) == (
        TimeBankEntry.Kind.DEPOSIT,
        Decimal("2.50"),
        datetime.date(2026, 3, 1),
        portal["record"].pk,
        volunteer.pk,
    )
    record = ServiceRecord.objects.using("restored").get()
    assert (record.activity, record.recorded_by.username) == ("助老服务：陪伴就医", "clerk_xiyuan")
    photo = Evidence.objects.using("restored").get(pk=portal["photo"].pk)
    assert (photo.file.name, photo.original_name, photo.caption) == (
        portal["photo"].file.name,
        "活动照片.png",
        "重阳节敬老活动",
    )
    password = get_user_model().objects.get(username="clerk_xiyuan").password
    assert photo.uploaded_by.password == password != ""
    assert files_under(restored_media) == files_under(media)
    assert files_under(media)[portal["photo"].file.name] == PHOTO
    # The command speaks the portal's default language, Chinese: "…, as the manifest counted".
    assert "与清单一致" in done.stdout
    assert f"{counts['communities.Community']:>10}  communities.Community" in done.stdout
    # The archive: the dump, the media files and the manifest that describes them.
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    dump = "database.dump" if connection.vendor == "postgresql" else "database.sqlite3"
    assert names == {"manifest.json", dump, *(f"media/{name}" for name in files_under(media))}
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["communities_community"] == {
        "model": "communities.Community",
        "rows": counts["communities.Community"],
    }
    assert "0001_initial" in manifest["migrations"]["ratings"]
    photo_file = manifest["media"][portal["photo"].file.name]
    assert photo_file["bytes"] == len(PHOTO)
    assert len(photo_file["sha256"]) == 64
    # Personal data: only the owner may read it.
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700


@committed
def test_restore_with_yes_replaces_a_database_that_is_not_empty(
    portal, media, tmp_path, empty_database, restored
):
    archive = backup(tmp_path)
    database_url, _settings = empty_database
    restored_media = tmp_path / "restored-media"
    with override_settings(MEDIA_ROOT=restored_media):
        backup_restore(archive=archive, using="restored")
    Community.objects.using("restored").filter(code="xiyuan").update(name="改过的名字")
    (restored_media / portal["photo"].file.name).write_bytes(b"changed")
    restored.close()  # pg_restore drops the tables this connection has read

    done = restore_command(archive, database_url, restored_media, "--yes")

    assert done.returncode == 0, done.stderr
    assert Community.objects.using("restored").get(code="xiyuan").name == "西园社区"
    assert model_counts("restored") == model_counts("default")
    assert files_under(restored_media) == files_under(media)


@pytest.mark.django_db
def test_backup_refuses_to_overwrite_a_file(tmp_path):
    archive = tmp_path / "kept.tar.gz"
    archive.write_bytes(b"an earlier backup")

    with translation.override("en"), pytest.raises(CommandError, match="exists already"):
        call_command("backup", output=archive, stdout=io.StringIO())

    assert archive.read_bytes() == b"an earlier backup"


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path, media):
    community = make_community(name="西园社区")
    archive = forged_archive(tmp_path, connection.vendor)

    with translation.override("en"), pytest.raises(CommandError, match="Run again with --yes"):
        call_command("restore", archive, stdout=io.StringIO())

    assert Community.objects.get().name == community.name


@pytest.mark.django_db
def test_restore_refuses_an_archive_of_the_other_engine(tmp_path, media):
    make_community(name="西园社区")
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    archive = forged_archive(tmp_path, other)

    with translation.override("en"), pytest.raises(CommandError, match=f"of a {other} database"):
        call_command("restore", archive, "--yes", stdout=io.StringIO())

    assert Community.objects.get().name == "西园社区"


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    archive = tmp_path / "notes.tar.gz"
    archive.write_bytes(b"not a tar file")

    with translation.override("en"), pytest.raises(CommandError, match="is not a backup"):
        call_command("restore", archive, "--yes", stdout=io.StringIO())


@committed
def test_backup_refuses_a_database_that_does_not_exist_or_is_empty(tmp_path, restored):
    """`make backup` without the production environment: the demo's SQLite path, which
    does not exist (SQLite would create it empty), or a PostgreSQL database never migrated."""
    archive = tmp_path / "backups" / "nothing.tar.gz"
    expected = (
        "has no tables: nothing to back up"
        if connection.vendor == "postgresql"
        else "does not exist or is empty: nothing to back up"
    )

    with translation.override("en"), pytest.raises(BackupError, match=expected) as refused:
        backup_create(output=archive, using="restored")

    assert "Load the portal's environment first" in str(refused.value)
    assert not archive.exists()
    if connection.vendor == "sqlite":
        assert not Path(restored.settings_dict["NAME"]).exists()  # not created by the backup


def test_backup_command_fails_without_the_database(tmp_path):
    missing = tmp_path / "var" / "db.sqlite3"
    archive = tmp_path / "backups" / "nothing.tar.gz"

    done = manage_command("backup", "--output", str(archive), database_url=f"sqlite:///{missing}")

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("CommandError: ")
    assert str(missing) in done.stderr
    assert not missing.exists()
    assert not archive.exists()
