"""Start-up with a bucket for prompt bodies: a bucket that cannot be used stops `heliograph
serve` with one line saying what to fix, and bodies the metadata database held (kept there
before the bucket was set) are moved into the bucket."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from heliograph.config import ConfigError, Settings
from heliograph.meta import db
from heliograph.prompts.bodies import EmbeddedBodyStore
from heliograph.prompts.bucket_setup import MOVE_BATCH, open_bucket
from heliograph.settings_sources import load_settings
from tests.prompts.object_store import KEY_PREFIX, SECRET_ACCESS_KEY, ObjectStore
from tests.server import clean_environ

NO_SUCH_BUCKET = "no-such-bucket"


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = db.connect(f"sqlite:///{tmp_path / 'metadata.db'}")
    db.migrate(engine)
    return db.session_factory(engine)


def _settings(store: ObjectStore, bucket: str) -> Settings:
    return load_settings(environ=store.settings(bucket))


def test_without_a_bucket_bodies_stay_in_the_metadata_database(sessions: sessionmaker[Session]):
    assert open_bucket(load_settings(environ={}), sessions) is None


def test_a_missing_bucket_says_what_to_do(store: ObjectStore, sessions: sessionmaker[Session]):
    with pytest.raises(ConfigError) as refused:
        open_bucket(_settings(store, NO_SUCH_BUCKET), sessions)
    assert str(refused.value) == (
        f"prompt body bucket '{NO_SUCH_BUCKET}' at {store.url} (us-east-1) does not exist: "
        "create it, or set s3_bucket to one that does"
    )


def test_a_store_that_cannot_be_reached_is_named(
    store: ObjectStore, sessions: sessionmaker[Session]
):
    bucket = store.new_bucket()
    with store.down(), pytest.raises(ConfigError) as refused:
        open_bucket(_settings(store, bucket), sessions)
    message = str(refused.value)
    assert message.startswith(
        f"prompt body bucket '{bucket}' at {store.url} (us-east-1) cannot be reached: "
    )
    assert SECRET_ACCESS_KEY not in message


def test_no_credentials_anywhere_says_where_to_put_them(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = load_settings(
        environ={
            "HELIOGRAPH_S3_BUCKET": "bodies",
            "HELIOGRAPH_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        }
    )
    with pytest.raises(ConfigError) as refused:
        open_bucket(settings, sessions)
    assert str(refused.value) == (
        "prompt body bucket 'bodies' at http://127.0.0.1:9 (us-east-1): no credentials; set "
        "s3_access_key_id and s3_secret_access_key, or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY"
    )


def test_bodies_the_database_held_are_moved_into_the_bucket(
    store: ObjectStore, sessions: sessionmaker[Session]
):
    embedded = EmbeddedBodyStore(sessions)
    held = {
        (f"org-{n % 2}", str(uuid.uuid4())): json.dumps({"model": "m", "n": n}).encode()
        for n in range(MOVE_BATCH + 20)  # more than one batch
    }
    for (organization_id, version_id), body in held.items():
        embedded.put(organization_id, version_id, body)
    bucket = store.new_bucket()
    opened = open_bucket(_settings(store, bucket), sessions)
    assert opened is not None
    assert embedded.some(1) == []
    expected = sorted(f"{KEY_PREFIX}{org}/{version_id}.json" for org, version_id in held)
    assert store.keys(bucket) == expected
    assert all(opened.get(org, version_id) == body for (org, version_id), body in held.items())
    assert open_bucket(_settings(store, bucket), sessions) is not None  # again: nothing to move
    assert store.keys(bucket) == expected


@pytest.mark.server
def test_serve_stops_at_once_with_one_line(store: ObjectStore, tmp_path: Path):
    environment = clean_environ() | store.settings(NO_SUCH_BUCKET)
    finished = subprocess.run(
        [sys.executable, "-m", "heliograph", "serve", "--port", "0"],
        env=environment | {"HELIOGRAPH_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines()[-1] == (
        f"Error: prompt body bucket '{NO_SUCH_BUCKET}' at {store.url} (us-east-1) does not "
        "exist: create it, or set s3_bucket to one that does"
    )
    assert SECRET_ACCESS_KEY not in finished.stdout + finished.stderr
