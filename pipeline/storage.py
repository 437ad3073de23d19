"""Where files live: a local folder by default, S3 (or any S3-compatible store) when configured.

Keys are laid out by tenant and job: `t/<tenant>/jobs/<job>/<name>` for a job's artifacts and
`t/<tenant>/sources/<sha256><ext>` for source videos, so the same recording is stored once per tenant.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from .errors import ConfigError, StorageError
from .settings import Settings

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_part(value: str) -> str:
    """A key segment that cannot climb out of its folder or carry odd characters."""
    cleaned = _SAFE.sub("-", value).strip(".-") or "_"
    return cleaned[:120]


def job_key(tenant: str, job_id: str, name: str) -> str:
    return f"t/{safe_part(tenant)}/jobs/{safe_part(job_id)}/{safe_part(name)}"


def source_key(tenant: str, sha256: str, suffix: str) -> str:
    ext = suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix or "") else ""
    return f"t/{safe_part(tenant)}/sources/{sha256}{ext}"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str


class Storage(Protocol):
    """The file store every stage and adapter uses."""

    name: str

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> Stored: ...
    def get_file(self, key: str, dest: Path) -> Path: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> str: ...


class LocalStorage:
    """Files in a folder; writes land under a temporary name and are renamed, so none is half-written."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        p = (self.root / key).resolve()
        if not p.is_relative_to(self.root):
            raise StorageError(key, f"storage key '{key}' points outside the storage folder", retryable=False)
        return p

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> Stored:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, dest)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(key, f"could not write {dest}: {e.strerror or e}") from e
        return Stored(key, dest.stat().st_size, sha256_file(dest))

    def get_file(self, key: str, dest: Path) -> Path:
        src = self.path(key)
        if not src.exists():
            raise StorageError(key, f"file '{key}' is missing from storage {self.root}", retryable=False)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.resolve() != src:
            shutil.copyfile(src, dest)
        return dest

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def check(self) -> str:
        probe = self.root / ".doctor"
        try:
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise StorageError(str(self.root), f"the storage folder {self.root} is not writable: {e}", retryable=False)
        return f"local folder {self.root} is writable"


class S3Storage:
    """Files in an S3 bucket, through one boto3 client reused by the whole process."""

    name = "s3"

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _fail(self, key: str, action: str, e: Exception) -> StorageError:
        from botocore.exceptions import ClientError

        code = ""
        if isinstance(e, ClientError):
            code = e.response.get("Error", {}).get("Code", "")
        permanent = code in {"NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "404",
                             "NoSuchKey"}
        return StorageError(key, f"S3 {action} of s3://{self.bucket}/{self._key(key)} failed: {code or e}",
                            retryable=not permanent)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> Stored:
        digest = sha256_file(path)
        try:
            # S3 makes an object visible only once its upload completes, so readers never see half a file.
            self.client.upload_file(str(path), self.bucket, self._key(key),
                                    ExtraArgs={"ContentType": content_type, "Metadata": {"sha256": digest}})
        except Exception as e:
            raise self._fail(key, "upload", e) from e
        return Stored(key, Path(path).stat().st_size, digest)

    def get_file(self, key: str, dest: Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".part-{dest.name}")
        try:
            self.client.download_file(self.bucket, self._key(key), str(tmp))
            os.replace(tmp, dest)
        except Exception as e:
            tmp.unlink(missing_ok=True)
            raise self._fail(key, "download", e) from e
        return dest

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._fail(key, "lookup", e) from e

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as e:
            raise self._fail(key, "delete", e) from e

    def check(self) -> str:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as e:
            raise self._fail("", "bucket check", e) from e
        return f"S3 bucket {self.bucket} answers"


@lru_cache(maxsize=8)
def _s3_client(endpoint: str | None, region: str | None, key_id: str | None, secret: str | None):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region or "us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=10, read_timeout=60))


def make_storage(settings: Settings) -> Storage:
    """The store the settings ask for."""
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigError("S3_BUCKET", "required when HANDOUTS_STORAGE=s3")
        secret = settings.aws_secret_access_key.get_secret_value() if settings.aws_secret_access_key else None
        client = _s3_client(settings.s3_endpoint_url, settings.s3_region, settings.aws_access_key_id, secret)
        return S3Storage(client, settings.s3_bucket, settings.s3_prefix)
    return LocalStorage(settings.files_dir)
