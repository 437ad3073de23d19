"""OIDC login and launch validation on top of pylti1p3, with what 2.0.0 leaves out.

pylti1p3 parses and checks the message; this module adds what a tool must do itself: state and nonce kept
server-side and each used once (2.0.0 lets the same id_token and state pass again for a day), the audience
checked against the client id (and `azp` when there are several), expiry and issue time with a leeway, key sets
fetched with a timeout and reloaded on an unknown kid, deployments recorded or held for approval, and a launch
ticket so the pages after the launch need no cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.addresses import lti_tenant
from pipeline.logs import get_logger
from pipeline.models import utcnow
from pipeline.settings import Settings

from .keyset import KeySetCache, KeySetError
from .registry import DbToolConf, PlatformInfo, find_platform_in, platform_info, record_deployment
from .tables import DeploymentStatus, LtiDeployment, LtiLaunch, LtiLoginState, LtiUsedNonce

log = get_logger("handouts.lti")

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LOGIN_SECONDS = 600
SWEEP_EVERY = 50
ALGORITHMS = ("RS256", "RS384", "RS512")
RELAUNCH = "Open Handouts again from your course (the link or menu item in the LMS)."


class LaunchRefused(Exception):
    """A login or launch that must not go on: a code for logs and tests, what went wrong, what to do."""

    def __init__(self, code: str, message: str, *, todo: str = RELAUNCH, status: int = 400,
                 tenant: str | None = None, roles: list[str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.todo, self.status = code, message, todo, status
        self.tenant, self.roles = tenant, roles


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class LtiServices:
    """What the LTI views share: settings, sessions, the DB tool config and the platforms' key sets."""

    settings: Settings
    sessions: sessionmaker[Session]
    conf: DbToolConf
    keysets: KeySetCache


# ---------------------------------------------------------------- login

def begin_login(svc: LtiServices, params: dict[str, str], launch_url: str) -> tuple[str, str]:
    """The platform's authorization URL to redirect to, and the state (for the browser's cookie)."""
    iss = (params.get("iss") or "").strip()
    if not iss:
        raise LaunchRefused("missing_iss", "The login request has no issuer (iss).",
                            todo="Start Handouts from a course in your LMS; this address is not meant to be opened "
                                 "directly.")
    if not params.get("login_hint"):
        raise LaunchRefused("missing_login_hint", "The login request has no login_hint.")
    client_id = (params.get("client_id") or "").strip() or None
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with svc.sessions() as s, s.begin():  # one connection: the lookup and the state's insert
        platform = find_platform_in(s, iss, client_id)
        if platform is None:
            what = f"issuer {iss}" + (f" with client id {client_id}" if client_id else "")
            todo = ("Ask your Handouts administrator to register it: `handouts lti add-platform --issuer ... "
                    "--client-id ...` (see `handouts lti config`). A platform with several registrations must "
                    "send its client_id with the login.")
            raise LaunchRefused("unknown_platform", f"Handouts has no registration for {what}.", todo=todo)
        if secrets.randbelow(SWEEP_EVERY) == 0:  # expired rows are swept now and then, not on every login
            s.execute(delete(LtiLoginState).where(LtiLoginState.expires_at < now - timedelta(hours=1)))
        s.add(LtiLoginState(state_hash=digest(state), nonce=nonce, platform_id=platform.id, created_at=now,
                            expires_at=now + timedelta(seconds=LOGIN_SECONDS)))
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": platform.client_id, "redirect_uri": launch_url, "state": state, "nonce": nonce,
             "login_hint": params["login_hint"]}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    parts = urlsplit(platform.auth_login_url)
    joined = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *query.items()])
    log.info("lti_login", issuer=iss, client_id=platform.client_id)
    return urlunsplit(parts._replace(query=joined)), state


# ---------------------------------------------------------------- launch

class _Form:
    def __init__(self, form: dict[str, str]) -> None:
        self.form = form


class _Unused:
    """pylti1p3 wants session and cookie services; this launch keeps state and nonce in the database instead."""

    def get_cookie(self, name):
        return None


class CheckedLaunch(MessageLaunch):
    """A pylti1p3 message launch whose state, nonce, keys, audience, expiry and deployment checks are ours."""

    def __init__(self, svc: LtiServices, form: dict[str, str], state_cookie: str | None) -> None:
        super().__init__(_Form(form), svc.conf, session_service=_Unused(), cookie_service=_Unused())
        self.svc = svc
        self._state_cookie = state_cookie
        self._login: LtiLoginState | None = None
        self._platform: PlatformInfo | None = None
        self._record_deployment = False
        self.ticket: str | None = None

    def _get_request_param(self, key: str) -> str:
        return self._request.form.get(key) or ""

    # the tenant the token claims, for log lines before it is proven
    def claimed_tenant(self) -> str | None:
        body = self._jwt.get("body") or {}
        dep = body.get(CLAIM + "deployment_id")
        try:
            return lti_tenant(body.get("iss") or "", dep or "") if isinstance(dep, str) else None
        except Exception:
            return None

    def _refuse(self, code: str, message: str, **kw) -> LaunchRefused:
        return LaunchRefused(code, message, tenant=self.claimed_tenant(), **kw)

    def validate(self) -> "CheckedLaunch":
        # The checks read through one session (one connection from the pool); the writes that use the launch
        # up get a transaction of their own at the end.
        with self.svc.sessions() as self._s:
            try:
                super().validate()
            except LtiException as e:
                raise self._refuse("bad_message", f"The launch message was not accepted: {e}.") from None
        return self

    def validate_state(self) -> "CheckedLaunch":
        state = self._get_request_param("state")
        if not state:
            raise LaunchRefused("missing_state", "The launch has no state: it did not come from a Handouts login.")
        row = self._s.get(LtiLoginState, digest(state))
        if row is None:
            raise LaunchRefused("unknown_state", "This launch was not started by Handouts, or it was too long ago.")
        if row.used_at is not None:
            raise LaunchRefused("replayed", "This launch was already used once; a launch cannot be sent twice "
                                            "(a page refreshed or a back button pressed?).")
        if _aware(row.expires_at) < utcnow():
            raise LaunchRefused("expired_state", "The sign-in through your LMS took longer than 10 minutes.")
        if self._state_cookie is not None and self._state_cookie != "1":
            raise LaunchRefused("state_cookie_mismatch", "The browser's state cookie does not match this launch.")
        self._login = row
        self._platform = platform_info(self._s, row.platform_id)
        if self._platform is None:
            raise LaunchRefused("unknown_platform", "The platform of this launch was removed from Handouts.")
        return self

    def validate_jwt_format(self) -> "CheckedLaunch":
        try:
            return super().validate_jwt_format()
        except LtiException:
            raise LaunchRefused("malformed_token", "The id_token is not a JWT (three base64 parts).") from None

    def validate_nonce(self) -> "CheckedLaunch":
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise self._refuse("missing_nonce", "The id_token carries no nonce.")
        if not secrets.compare_digest(nonce, self._login.nonce):
            raise self._refuse("nonce_mismatch", "The id_token's nonce is not the one this login sent.")
        if self._s.get(LtiUsedNonce, (self._login.platform_id, nonce)) is not None:
            raise self._refuse("replayed", "This id_token was already used once.")
        return self

    def get_client_id(self) -> str:
        body = self._jwt.get("body") or {}
        aud = body.get("aud")
        if isinstance(aud, str):
            return aud
        if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
            if len(aud) == 1:
                return aud[0]
            azp = body.get("azp")
            if isinstance(azp, str) and azp in aud:
                return azp
            raise self._refuse("wrong_audience", "The id_token names several audiences but no authorized party "
                                                 "(azp) among them.")
        raise self._refuse("wrong_audience", "The id_token has no audience (aud).")

    def validate_registration(self) -> "CheckedLaunch":
        iss, client_id = self.get_iss(), self.get_client_id()
        if (iss, client_id) != (self._platform.issuer, self._platform.client_id):
            raise self._refuse("wrong_platform", f"The id_token is from issuer {iss} for client {client_id}, not "
                                                 "from the platform this login went to.")
        self._registration = self.svc.conf.registration(self._platform, with_key=False)
        return self

    def get_public_key(self) -> tuple[str, str]:
        header = self._jwt.get("header") or {}
        kid, alg = header.get("kid"), header.get("alg")
        if alg not in ALGORITHMS:
            raise self._refuse("bad_algorithm", f"The id_token is signed with {alg!r}; only RS256/384/512 are "
                                                "accepted.")
        if not kid or not isinstance(kid, str):
            raise self._refuse("missing_kid", "The id_token's header names no key (kid).")
        try:
            return self.svc.keysets.public_pem(self._platform.key_set_url, kid, alg), alg
        except KeySetError as e:
            raise self._refuse("no_key", f"The platform's signing key could not be found: {e.reason}.",
                               todo="If this keeps happening, the Handouts administrator should check the "
                                    "platform's key set URL (`handouts lti list`).") from None

    def validate_jwt_signature(self) -> "CheckedLaunch":
        pem, alg = self.get_public_key()
        try:
            jwt.decode(self._get_id_token(), pem, algorithms=[alg], audience=self._platform.client_id,
                       issuer=self._platform.issuer, leeway=self.svc.settings.lti_leeway,
                       options={"require": ["exp", "iat", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise self._refuse("expired", "The id_token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise self._refuse("not_yet_valid", "The id_token was issued in the future (are the clocks of the LMS "
                                                "and Handouts apart?).") from None
        except jwt.InvalidSignatureError:
            raise self._refuse("bad_signature", "The id_token's signature does not match the platform's key.") \
                from None
        except jwt.InvalidAudienceError:
            raise self._refuse("wrong_audience", "The id_token is not meant for this tool's client id.") from None
        except jwt.InvalidTokenError as e:
            raise self._refuse("bad_token", f"The id_token was refused: {e}.") from None
        return self

    def validate_deployment(self) -> "CheckedLaunch":
        dep = self._get_jwt_body().get(CLAIM + "deployment_id")
        if not dep or not isinstance(dep, str):
            raise self._refuse("missing_deployment", "The id_token carries no deployment id.")
        status = self._s.scalar(select(LtiDeployment.status).where(LtiDeployment.platform_id == self._platform.id,
                                                                   LtiDeployment.deployment_id == dep))
        if status is None and self.svc.settings.lti_deployments == "auto":
            self._record_deployment = True
            log.info("lti_deployment_first_seen", tenant=self.claimed_tenant(), deployment_id=dep)
            return self
        if status is None:
            with self.svc.sessions() as s, s.begin():
                record_deployment(s, self._platform.id, dep, DeploymentStatus.PENDING)
            status = DeploymentStatus.PENDING
        if status != DeploymentStatus.ACTIVE:
            raise self._refuse("deployment_pending", f"This installation of Handouts (deployment {dep}) waits for "
                                                     "approval.",
                               todo=f"Ask your Handouts administrator to run `handouts lti approve --platform "
                                    f"{self._platform.id} --deployment-id {dep}`.", status=403)
        return self

    def validate_message(self) -> "CheckedLaunch":
        body = self._get_jwt_body()
        if body.get(CLAIM + "roles") is None:
            raise self._refuse("missing_roles", "The launch does not say what your role in the course is.",
                               todo="Ask your LMS administrator to send roles to Handouts, then open it again.")
        if not isinstance((body.get(CLAIM + "context") or {}).get("id"), str):
            raise self._refuse("missing_context", "The launch does not name a course (context claim).",
                               todo="Open Handouts from inside a course.")
        try:
            return super().validate_message()
        except LtiException as e:
            raise self._refuse("bad_message", f"The launch message was not accepted: {e}.") from None

    def save_launch_data(self) -> "CheckedLaunch":
        """Use the state and the nonce up, record a new deployment and issue the ticket, all in one commit."""
        body = self._get_jwt_body()
        dep = body[CLAIM + "deployment_id"]
        now = utcnow()
        ticket, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        hours = self.svc.settings.lti_ticket_hours
        self._s.close()  # the reads are done; the writes below take a connection of their own
        try:
            with self.svc.sessions() as s, s.begin():
                used = s.execute(update(LtiLoginState).where(LtiLoginState.state_hash == self._login.state_hash,
                                                             LtiLoginState.used_at.is_(None))
                                 .values(used_at=now)).rowcount
                if used != 1:
                    raise self._refuse("replayed", "This launch was already used once.")
                exp = body.get("exp") or 0
                s.add(LtiUsedNonce(platform_id=self._platform.id, nonce=body["nonce"],
                                   expires_at=max(now + timedelta(seconds=LOGIN_SECONDS),
                                                  _from_ts(exp) + timedelta(seconds=self.svc.settings.lti_leeway))))
                if secrets.randbelow(SWEEP_EVERY) == 0:
                    s.execute(delete(LtiUsedNonce).where(LtiUsedNonce.expires_at < now))
                    s.execute(delete(LtiLaunch).where(LtiLaunch.expires_at < now))
                if self._record_deployment:
                    record_deployment(s, self._platform.id, dep, DeploymentStatus.ACTIVE)
                s.add(LtiLaunch(ticket_hash=digest(ticket), csrf=csrf, platform_id=self._platform.id,
                                deployment_id=dep, tenant=lti_tenant(self._platform.issuer, dep),
                                context_id=body[CLAIM + "context"]["id"], user_id=str(body.get("sub")),
                                message_type=body.get(CLAIM + "message_type") or "", claims=_kept(body),
                                created_at=now, expires_at=now + timedelta(hours=hours)))
                s.flush()
        except IntegrityError:
            raise self._refuse("replayed", "This id_token was already used once.") from None
        self.ticket = ticket
        return self


def _aware(t):
    from pipeline.jobs import aware

    return aware(t)


def _from_ts(ts: Any):
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(float(ts), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return utcnow()


def _kept(body: dict) -> dict:
    """The claims kept with the ticket (the nonce is spent; everything else the pages may need)."""
    return {k: v for k, v in body.items() if k not in ("nonce",)}


def validate_launch(svc: LtiServices, form: dict[str, str], state_cookie: str | None) -> tuple[str, dict]:
    """Check a launch POST; the ticket and the claims, or LaunchRefused."""
    if form.get("error"):
        raise LaunchRefused("platform_error", f"The LMS refused the sign-in: {form.get('error')}"
                            + (f" ({form['error_description']})" if form.get("error_description") else "") + ".")
    if not form.get("id_token"):
        raise LaunchRefused("missing_id_token", "The launch carries no id_token.",
                            todo="Open Handouts from your course; this address is not meant to be opened directly.")
    launch = CheckedLaunch(svc, form, state_cookie)
    try:
        launch.validate()
    except LaunchRefused as e:
        e.tenant = e.tenant or launch.claimed_tenant()
        raise
    return launch.ticket, launch._get_jwt_body()


def load_ticket(svc: LtiServices, ticket: str) -> LtiLaunch:
    """The launch a ticket stands for, or LaunchRefused when it is unknown or expired."""
    with svc.sessions() as s:
        row = s.get(LtiLaunch, digest(ticket or ""))
    if row is None or _aware(row.expires_at) < utcnow():
        raise LaunchRefused("ticket_expired", "This Handouts page has expired.", status=403)
    return row
