"""Prompt bodies in an S3-compatible object store: the scale-out `BodyStore`.

A body is one object, `PREFIX + organization id + "/" + version id + ".json"`, so every key
carries its organization; a version's `s3_url` is the store's presigned GET URL of that
object, which Helicone's own client fetches without credentials. Every call here blocks on
the network: the service runs them on worker threads, and start-up (`open_bucket`) before
the event loop runs. A store that cannot be reached or refuses a call is a 503
(`BodyStoreUnavailable`), whose message names neither the store's address nor its
credentials; the log line says what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from heliograph.config import ConfigError, Settings
from heliograph.errors import RetryLaterError
from heliograph.prompts.signing import URL_LIFETIME_S
from heliograph.throttled_log import ThrottledLog, describe

log = logging.getLogger("heliograph.prompts")

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 15
MAX_ATTEMPTS = 2  # a caller waits for the answer: one retry at most
DELETE_BATCH = 1000  # the most keys one DeleteObjects takes
NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound"})
CHECKED_ERRORS = (BotoCoreError, ClientError)
# What a refused HeadBucket means, by its code (a HEAD answer has no body: often the status).
REFUSALS = (
    (
        frozenset({"404", "NoSuchBucket"}),
        "does not exist: create it, or set s3_bucket to one that does",
    ),
    (
        frozenset({"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}),
        "refuses these credentials: check s3_access_key_id and s3_secret_access_key "
        "(or the AWS_* credentials botocore found)",
    ),
    (
        frozenset({"301", "400", "PermanentRedirect", "AuthorizationHeaderMalformed"}),
        "is not in this region: set s3_region to the bucket's",
    ),
)


class BodyStoreUnavailable(RetryLaterError):
    """The object store could not be reached, or refused the call."""

    def __init__(self, retry_after_s: int = 5) -> None:
        super().__init__("Prompt body store unavailable; retry shortly", retry_after_s, 503)


@dataclass(frozen=True)
class Bucket:
    """Where bodies go: the bucket settings (config.py, `s3_*`)."""

    name: str
    key_prefix: str
    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, settings: Settings) -> Bucket | None:
        """The bucket the settings name, or None: bodies stay in the metadata database."""
        if not settings.s3_bucket:
            return None
        return cls(
            name=settings.s3_bucket,
            key_prefix=settings.s3_key_prefix,
            region=settings.s3_region or settings.aws_region,
            endpoint_url=settings.s3_endpoint_url or None,
            access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
        )

    @property
    def where(self) -> str:
        """The bucket as messages name it (never with credentials)."""
        return f"{self.name!r} at {self.endpoint_url or 'AWS S3'} ({self.region})"


def s3_client(bucket: Bucket) -> Any:
    """A botocore S3 client for the bucket; ConfigError when no credentials are found."""
    session = botocore.session.Session()
    if bucket.access_key_id is None and session.get_credentials() is None:
        raise ConfigError(
            f"prompt body bucket {bucket.where}: no credentials; set s3_access_key_id and "
            "s3_secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    config = Config(
        signature_version="s3v4",
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        # Path-style URLs (endpoint/bucket/key) work on every S3-compatible store without a
        # DNS name per bucket; on AWS itself botocore chooses.
        s3={"addressing_style": "path" if bucket.endpoint_url else "auto"},
        # Checksums only where S3 requires them: several S3-compatible stores refuse the
        # ones botocore adds by default since 1.36.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return session.create_client(
        "s3",
        region_name=bucket.region,
        endpoint_url=bucket.endpoint_url,
        aws_access_key_id=bucket.access_key_id,
        aws_secret_access_key=bucket.secret_access_key,
        config=config,
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _cause(exc: Exception) -> str:
    """What went wrong, for a log line: the store's error code, or botocore's one line."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        return f"{error_code(exc) or 'error'} (HTTP {status})"
    return describe(exc)


class S3BodyStore:
    """Bodies as objects of one bucket; `url` presigns a GET of a version's body."""

    def __init__(self, bucket: Bucket, lifetime_s: int = URL_LIFETIME_S) -> None:
        self.bucket = bucket
        self._client = s3_client(bucket)
        self._lifetime_s = lifetime_s
        self._warnings = ThrottledLog(log)

    def check(self) -> None:
        """At start-up: ConfigError saying what to fix unless the bucket can be used."""
        try:
            self._client.head_bucket(Bucket=self.bucket.name)
        except ClientError as exc:
            code = error_code(exc)
            meaning = next((text for codes, text in REFUSALS if code in codes), None)
            problem = meaning or f"answered {_cause(exc)}"
            raise ConfigError(f"prompt body bucket {self.bucket.where} {problem}") from None
        except BotoCoreError as exc:
            raise ConfigError(
                f"prompt body bucket {self.bucket.where} cannot be reached: {describe(exc)}"
            ) from None

    def key(self, organization_id: str, version_id: str) -> str:
        return f"{self.bucket.key_prefix}{organization_id}/{version_id}.json"

    @contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        """Turn the store's failures into BodyStoreUnavailable, with one log line a minute."""
        try:
            yield
        except CHECKED_ERRORS as exc:
            self._warnings.warning(
                action,
                "prompt body store %s: %s failed: %s",
                self.bucket.where,
                action,
                _cause(exc),
            )
            raise BodyStoreUnavailable() from None

    def put(self, organization_id: str, version_id: str, body: bytes) -> None:
        with self._calling("put"):
            self._client.put_object(
                Bucket=self.bucket.name,
                Key=self.key(organization_id, version_id),
                Body=body,
                ContentType="application/json",
            )

    def get(self, organization_id: str, version_id: str) -> bytes | None:
        with self._calling("get"):
            try:
                answer = self._client.get_object(
                    Bucket=self.bucket.name, Key=self.key(organization_id, version_id)
                )
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND:
                    return None
                raise
            with closing(answer["Body"]) as stream:
                body: bytes = stream.read()
        return body

    def delete(self, organization_id: str, version_ids: list[str]) -> None:
        keys = [self.key(organization_id, version_id) for version_id in version_ids]
        for start in range(0, len(keys), DELETE_BATCH):
            objects = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
            with self._calling("delete"):
                answer = self._client.delete_objects(
                    Bucket=self.bucket.name, Delete={"Objects": objects, "Quiet": True}
                )
            refused = answer.get("Errors") or []
            if refused:
                first = refused[0]
                self._warnings.warning(
                    "delete",
                    "prompt body store %s: %d objects not deleted, e.g. %s: %s",
                    self.bucket.where,
                    len(refused),
                    first.get("Key"),
                    first.get("Code"),
                )
                raise BodyStoreUnavailable()

    def url(self, base_url: str, organization_id: str, version_id: str) -> str:
        """The store's presigned GET URL of the body (`base_url`, this server's, is unused:
        the body is fetched from the store)."""
        with self._calling("presign"):
            url: str = self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket.name, "Key": self.key(organization_id, version_id)},
                ExpiresIn=self._lifetime_s,
            )
        return url
