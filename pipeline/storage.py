"""Where files live: a local folder by default, S3 (or any S3-compatible store) when configured.

Keys are laid out by tenant and job: `t/<tenant>/jobs/<job>/<name>` for a job's artifacts and
`t/<tenant>/sources/<sha256><ext>` for source videos, so the same recording is stored once per tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from .errors import ConfigError, HandoutsError, StorageError
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


# Types a browser may show in place; anything else (HTML, SVG, scripts, office files) is a download, so a file
# can never run as a page of this site.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})


def content_disposition(filename: str, content_type: str = "application/octet-stream") -> str:
    """`inline` for types safe to show, else `attachment`; an ASCII name plus the UTF-8 one (RFC 6266)."""
    kind = "inline" if content_type.split(";")[0].strip().lower() in INLINE_TYPES else "attachment"
    name = filename.replace("/", "_").replace("\\", "_") or "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^A-Za-z0-9._ ()-]+', "_", ascii_name).strip() or "download"
    value = f'{kind}; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


class SignedUrlError(HandoutsError):
    """A download link that is not ours, was changed, or has lapsed (`expired`)."""

    code = "bad_link"

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class SignedFile:
    """What a verified local download link names."""

    key: str
    filename: str
    content_type: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose from the app's secret, so a signed link is never a valid session and vice versa."""
    return hmac.new(secret.encode(), f"handouts:{purpose}".encode(), hashlib.sha256).digest()


def sign_file_token(signing_key: bytes, key: str, *, filename: str, content_type: str, expires: int,
                    now: float | None = None) -> str:
    """A token naming one stored file for `expires` seconds: base64(JSON) '.' base64(HMAC-SHA256)."""
    if expires <= 0:
        raise ValueError("a download link needs a positive lifetime in seconds")
    body = json.dumps({"k": key, "n": filename, "t": content_type, "e": int((now or time.time()) + expires)},
                      separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(signing_key, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def verify_file_token(signing_key: bytes, token: str, *, now: float | None = None) -> SignedFile:
    """The file a token names; SignedUrlError when it is malformed, signed with another key, changed or lapsed."""
    body_part, dot, mac_part = (token or "").partition(".")
    try:
        body, mac = _unb64(body_part), _unb64(mac_part)
    except (ValueError, TypeError):
        body, mac = b"", b""
    if not dot or not body or len(mac) != hashlib.sha256().digest_size:
        raise SignedUrlError("this download link is not valid: it is incomplete or was changed; "
                             "open the job page again for a fresh link")
    if not hmac.compare_digest(hmac.new(signing_key, body, hashlib.sha256).digest(), mac):
        raise SignedUrlError("this download link is not valid: it was changed or signed by another server; "
                             "open the job page again for a fresh link")
    try:
        data = json.loads(body)
        signed = SignedFile(str(data["k"]), str(data["n"]), str(data["t"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        raise SignedUrlError("this download link is not valid; open the job page again for a fresh link") from None
    if signed.expires < (now or time.time()):
        raise SignedUrlError("this download link has expired; open the job page again for a fresh link",
                             expired=True)
    return signed


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
    def open(self, key: str) -> BinaryIO: ...
    def url(self, key: str, *, expires: int, filename: str | None = None,
            content_type: str = "application/octet-stream") -> str: ...
    def verify(self, token: str) -> SignedFile: ...


class LocalStorage:
    """Files in a folder; writes land under a temporary name and are renamed, so none is half-written."""

    name = "local"

    def __init__(self, root: Path, *, signing_key: bytes | None = None, url_prefix: str = "/files/") -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.signing_key = signing_key
        self.url_prefix = url_prefix

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

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, for reading; StorageError when the file is gone."""
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise StorageError(key, f"file '{key}' is missing from storage {self.root}", retryable=False) from None

    def url(self, key: str, *, expires: int, filename: str | None = None,
            content_type: str = "application/octet-stream") -> str:
        """A path on the web app (`/files/<token>`) that serves this file for `expires` seconds."""
        if self.signing_key is None:
            raise ConfigError("HANDOUTS_SECRET_KEY", "local storage needs a signing key to make download links")
        self.path(key)  # a key that climbs out of the folder gets no link
        token = sign_file_token(self.signing_key, key, filename=filename or key.rsplit("/", 1)[-1],
                                content_type=content_type, expires=expires)
        return self.url_prefix + token

    def verify(self, token: str) -> SignedFile:
        """The file a `/files/<token>` link names, if this store signed it and it has not lapsed."""
        if self.signing_key is None:
            raise SignedUrlError("this server makes no download links (no signing key)")
        return verify_file_token(self.signing_key, token)


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

    def open(self, key: str) -> BinaryIO:
        """The object's bytes as a stream."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except Exception as e:
            raise self._fail(key, "download", e) from e

    def url(self, key: str, *, expires: int, filename: str | None = None,
            content_type: str = "application/octet-stream") -> str:
        """A presigned GET URL, valid `expires` seconds, that downloads under `filename` with its type."""
        if expires <= 0:
            raise ValueError("a download link needs a positive lifetime in seconds")
        name = filename or key.rsplit("/", 1)[-1]
        params = {"Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": content_type,
                  "ResponseContentDisposition": content_disposition(name, content_type)}
        try:
            return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(expires))
        except Exception as e:
            raise self._fail(key, "link signing", e) from e

    def verify(self, token: str) -> SignedFile:
        """S3 links are checked by S3; a `/files/<token>` link was never made by this store."""
        raise SignedUrlError("this server keeps its files in S3, so this link is not one of its downloads; "
                             "open the job page again for a fresh link")


@lru_cache(maxsize=8)
def _s3_client(endpoint: str | None, region: str | None, key_id: str | None, secret: str | None):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region or "us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=10, read_timeout=60,
                      signature_version="s3v4"))  # SigV4: what every region accepts, presigned links too


def make_storage(settings: Settings) -> Storage:
    """The store the settings ask for."""
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigError("S3_BUCKET", "required when HANDOUTS_STORAGE=s3")
        secret = settings.aws_secret_access_key.get_secret_value() if settings.aws_secret_access_key else None
        client = _s3_client(settings.s3_endpoint_url, settings.s3_region, settings.aws_access_key_id, secret)
        return S3Storage(client, settings.s3_bucket, settings.s3_prefix)
    return LocalStorage(settings.files_dir, signing_key=derive_key(settings.secret_key.get_secret_value(), "files"))
