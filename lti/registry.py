"""Platform registrations and deployments in the database, and the pylti1p3 tool config that reads them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.crypto import SecretCipher
from pipeline.errors import InputError

from .keys import jwks, signing_key
from .tables import DeploymentStatus, LtiDeployment, LtiPlatform


@dataclass(frozen=True)
class PlatformInfo:
    """A registration as the adapter reads it (detached from any session)."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None = None
    name: str | None = None


def _info(p: LtiPlatform) -> PlatformInfo:
    return PlatformInfo(p.id, p.issuer, p.client_id, p.auth_login_url, p.auth_token_url, p.key_set_url,
                        p.auth_audience, p.name)


def _check_url(value: str, field: str, *, allow_http: bool) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InputError(f"--{field.replace('_', '-')} {value!r} is not an http(s) URL; copy it from the "
                         "platform's tool registration page", field=field)
    if parts.scheme == "http" and not allow_http:
        raise InputError(f"--{field.replace('_', '-')} {value!r} is plain http; a platform's endpoints must be "
                         "https (plain http only with HANDOUTS_ALLOW_PRIVATE_URLS, for local tests)", field=field)
    return value


def add_platform(sessions: sessionmaker[Session], *, issuer: str, client_id: str, auth_login_url: str,
                 auth_token_url: str, key_set_url: str, deployment_ids: list[str] = (),
                 auth_audience: str | None = None, name: str | None = None, allow_http: bool = False,
                 replace: bool = False) -> PlatformInfo:
    """Register (issuer, client id) with its endpoints and approved deployments; the same pair twice is refused
    unless `replace` (then its URLs are updated and the deployments added)."""
    # the issuer is compared as a string with the id_token's iss claim: it is kept exactly as given
    issuer = _check_url(issuer, "issuer", allow_http=allow_http)
    client_id = (client_id or "").strip()
    if not client_id:
        raise InputError("--client-id is empty; the platform shows it when the tool is registered (Canvas: the "
                         "developer key's number; Moodle: the tool's Client ID)", field="client_id")
    urls = {f: _check_url(v, f, allow_http=allow_http) for f, v in
            (("auth_login_url", auth_login_url), ("auth_token_url", auth_token_url), ("key_set_url", key_set_url))}
    deployment_ids = [d.strip() for d in deployment_ids if d and d.strip()]
    with sessions() as s, s.begin():
        row = s.scalar(select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id))
        if row is not None and not replace:
            raise InputError(f"issuer {issuer} with client id {client_id} is already registered (id {row.id}); "
                             "pass --replace to change its URLs", field="client_id")
        if row is None:
            row = LtiPlatform(issuer=issuer, client_id=client_id, **urls)
            s.add(row)
        else:
            for k, v in urls.items():
                setattr(row, k, v)
        row.auth_audience = auth_audience or None
        row.name = name or row.name
        s.flush()
        for dep in deployment_ids:
            _set_deployment(s, row.id, dep, DeploymentStatus.ACTIVE)
        return _info(row)


def _set_deployment(s: Session, platform_id: int, deployment_id: str, status: str) -> LtiDeployment:
    row = s.scalar(select(LtiDeployment).where(LtiDeployment.platform_id == platform_id,
                                               LtiDeployment.deployment_id == deployment_id))
    if row is None:
        row = LtiDeployment(platform_id=platform_id, deployment_id=deployment_id, status=status)
        s.add(row)
    else:
        row.status = status
    s.flush()
    return row


def list_platforms(sessions: sessionmaker[Session]) -> list[tuple[PlatformInfo, list[tuple[str, str]]]]:
    """Every registration with its deployments (id, status)."""
    with sessions() as s:
        out = []
        for p in s.scalars(select(LtiPlatform).order_by(LtiPlatform.id)):
            deps = s.execute(select(LtiDeployment.deployment_id, LtiDeployment.status)
                             .where(LtiDeployment.platform_id == p.id).order_by(LtiDeployment.id)).all()
            out.append((_info(p), [(d, st) for d, st in deps]))
        return out


def find_platform_in(s: Session, issuer: str, client_id: str | None) -> PlatformInfo | None:
    """The registration of (issuer, client id); with no client id, the issuer's only one (None if several)."""
    q = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        row = s.scalar(q.where(LtiPlatform.client_id == client_id))
        return _info(row) if row else None
    rows = list(s.scalars(q.limit(2)))
    return _info(rows[0]) if len(rows) == 1 else None


def find_platform(sessions: sessionmaker[Session], issuer: str, client_id: str | None) -> PlatformInfo | None:
    """find_platform_in, in a session of its own."""
    with sessions() as s:
        return find_platform_in(s, issuer, client_id)


def platform_info(s: Session, platform_id: int) -> PlatformInfo | None:
    row = s.get(LtiPlatform, platform_id)
    return _info(row) if row else None


def get_platform(sessions: sessionmaker[Session], platform_id: int) -> PlatformInfo | None:
    with sessions() as s:
        row = s.get(LtiPlatform, platform_id)
        return _info(row) if row else None


def remove_platform(sessions: sessionmaker[Session], *, platform_id: int | None = None, issuer: str | None = None,
                    client_id: str | None = None) -> PlatformInfo:
    """Delete a registration (by id, or by issuer + client id) with its deployments; jobs stay."""
    with sessions() as s, s.begin():
        if platform_id is not None:
            row = s.get(LtiPlatform, platform_id)
        else:
            row = s.scalar(select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id))
        if row is None:
            what = f"id {platform_id}" if platform_id is not None else f"issuer {issuer} with client id {client_id}"
            raise InputError(f"no platform registered as {what}; `handouts lti list` shows them", field="platform")
        info = _info(row)
        s.delete(row)
        return info


def deployment_status(sessions: sessionmaker[Session], platform_id: int, deployment_id: str) -> str | None:
    with sessions() as s:
        return s.scalar(select(LtiDeployment.status).where(LtiDeployment.platform_id == platform_id,
                                                           LtiDeployment.deployment_id == deployment_id))


def record_deployment(s: Session, platform_id: int, deployment_id: str, status: str) -> str:
    """Record a deployment seen for the first time (in the caller's transaction); keeps an existing status."""
    row = s.scalar(select(LtiDeployment).where(LtiDeployment.platform_id == platform_id,
                                               LtiDeployment.deployment_id == deployment_id))
    if row is not None:
        return row.status
    try:
        with s.begin_nested():
            s.add(LtiDeployment(platform_id=platform_id, deployment_id=deployment_id, status=status))
    except IntegrityError:
        pass
    return status


def approve_deployment(sessions: sessionmaker[Session], platform_id: int, deployment_id: str) -> None:
    with sessions() as s, s.begin():
        _set_deployment(s, platform_id, deployment_id, DeploymentStatus.ACTIVE)


class DbToolConf(ToolConfAbstract):
    """pylti1p3's tool config over the database: registrations by (issuer, client id), active deployments,
    and the tool's current signing key on every registration."""

    def __init__(self, sessions: sessionmaker[Session], cipher: SecretCipher) -> None:
        super().__init__()
        self.sessions = sessions
        self.cipher = cipher

    # pylti1p3 keeps "one client per issuer" in a dict shared by all instances; every issuer here may have many.
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def registration(self, info: PlatformInfo, *, with_key: bool = True) -> Registration:
        """A pylti1p3 Registration of this platform, signing with the tool's current key (checking a launch
        needs no key of ours: `with_key=False` spares the lookup and the decryption)."""
        reg = (Registration().set_issuer(info.issuer).set_client_id(info.client_id)
               .set_auth_login_url(info.auth_login_url).set_auth_token_url(info.auth_token_url)
               .set_auth_audience(info.auth_audience).set_key_set_url(info.key_set_url))
        if with_key:
            key = signing_key(self.sessions, self.cipher)
            reg.set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)
        return reg

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:
        info = find_platform(self.sessions, iss, None)
        return self.registration(info) if info else None

    def find_registration_by_params(self, iss: str, client_id: str, *args, **kwargs) -> Registration | None:
        info = find_platform(self.sessions, iss, client_id)
        return self.registration(info) if info else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        info = find_platform(self.sessions, iss, None)
        return self._deployment(info, deployment_id)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str, *args,
                                  **kwargs) -> Deployment | None:
        return self._deployment(find_platform(self.sessions, iss, client_id), deployment_id)

    def _deployment(self, info: PlatformInfo | None, deployment_id: str) -> Deployment | None:
        if info is None or deployment_status(self.sessions, info.id, deployment_id) != DeploymentStatus.ACTIVE:
            return None
        return Deployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs) -> dict:
        return jwks(self.sessions, self.cipher)
