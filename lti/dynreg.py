"""LTI Dynamic Registration: the admin pastes one URL into the LMS; the tool reads the platform's
openid-configuration, registers itself there, and records the platform and its deployment.

The registration URL is public, so it is gated by HANDOUTS_LTI_REGISTRATION_TOKEN, and every request the tool
makes goes through the network guard (no private addresses unless allowed), with a timeout and a size cap.
Canvas wants the registration token as a bearer on the configuration GET too; sending it there is harmless for
Moodle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from pipeline.errors import InputError
from pipeline.sources.netguard import UrlGuard, pinned_transport, request_deadline

from .admin import endpoints
from .registry import PlatformInfo, add_platform

PLATFORM_CONF = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONF = "https://purl.imsglobal.org/spec/lti-tool-configuration"
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class PlatformConfig:
    """What the platform's openid-configuration says about itself."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product: str
    messages: tuple[str, ...]


def _http(method: str, url: str, *, allow_private: bool, timeout: float, token: str | None,
          body: dict | None = None) -> dict:
    guard = UrlGuard(allow_private)
    guard.check(url, "the platform's registration address")
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with request_deadline(timeout), httpx.Client(transport=pinned_transport(guard), timeout=timeout,
                                                     follow_redirects=False) as c:
            r = c.request(method, url, headers=headers, json=body)
    except httpx.HTTPError as e:
        raise InputError(f"the LMS at {urlsplit(url).netloc} did not answer ({type(e).__name__}); try the "
                         "registration again", field="openid_configuration") from None
    if r.status_code not in (200, 201):
        raise InputError(f"the LMS answered HTTP {r.status_code} to {method} {urlsplit(url).path}: "
                         f"{r.text[:300]}", field="openid_configuration")
    if len(r.content) > MAX_BYTES:
        raise InputError("the LMS's answer is too large to be a registration document", field="openid_configuration")
    try:
        data = r.json()
        assert isinstance(data, dict)
        return data
    except (ValueError, AssertionError):
        raise InputError(f"the LMS's answer to {method} {urlsplit(url).path} is not a JSON object",
                         field="openid_configuration") from None


def _url_field(data: dict, key: str, allow_private: bool) -> str:
    value = data.get(key)
    parts = urlsplit(value) if isinstance(value, str) else None
    ok_scheme = parts is not None and (parts.scheme == "https" or (allow_private and parts.scheme == "http"))
    if not ok_scheme or not parts.netloc:
        raise InputError(f"the platform's openid-configuration has no usable {key} (got {value!r})",
                         field="openid_configuration")
    return value


def read_platform_config(config_url: str, token: str | None, *, allow_private: bool,
                         timeout: float) -> PlatformConfig:
    """Fetch and check the platform's openid-configuration."""
    data = _http("GET", config_url, allow_private=allow_private, timeout=timeout, token=token)
    urls = {k: _url_field(data, k, allow_private) for k in
            ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")}
    if urlsplit(urls["registration_endpoint"]).netloc != urlsplit(config_url).netloc:
        raise InputError("the platform's registration endpoint is on another host than its openid-configuration; "
                         "Handouts does not send its registration there", field="openid_configuration")
    conf = data.get(PLATFORM_CONF) or {}
    messages = tuple(m.get("type") for m in conf.get("messages_supported") or [] if isinstance(m, dict))
    return PlatformConfig(**urls, product=str(conf.get("product_family_code") or "LMS"), messages=messages)


def tool_registration(base_url: str, platform: PlatformConfig) -> dict:
    """The client registration Handouts asks for: login, launch, keys, deep linking and course navigation."""
    e = endpoints(base_url)
    messages = [{"type": "LtiResourceLinkRequest", "target_link_uri": e["launch"], "label": "Handouts",
                 "placements": ["course_navigation"]}]
    if not platform.messages or "LtiDeepLinkingRequest" in platform.messages:
        messages.append({"type": "LtiDeepLinkingRequest", "target_link_uri": e["launch"],
                         "label": "Add a handout", "placements": ["link_selection", "editor_button"]})
    return {
        "application_type": "web", "response_types": ["id_token"], "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": e["login"], "redirect_uris": [e["launch"]], "client_name": "Handouts",
        "jwks_uri": e["jwks"], "token_endpoint_auth_method": "private_key_jwt",
        "scope": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        TOOL_CONF: {"domain": urlsplit(base_url).netloc, "target_link_uri": e["launch"],
                    "custom_parameters": {"context_id_history": "$Context.id.history"},
                    "claims": ["iss", "sub", "name", "email"], "messages": messages},
    }


def register(sessions, base_url: str, config_url: str, token: str | None, *, allow_private: bool,
             timeout: float) -> tuple[PlatformInfo, str | None, PlatformConfig]:
    """Register with the platform and record it; the platform, its deployment id (if it sent one), its config."""
    platform = read_platform_config(config_url, token, allow_private=allow_private, timeout=timeout)
    answer = _http("POST", platform.registration_endpoint, allow_private=allow_private, timeout=timeout,
                   token=token, body=tool_registration(base_url, platform))
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise InputError("the LMS accepted the registration but sent no client_id: " + json.dumps(answer)[:300],
                         field="client_id")
    dep = (answer.get(TOOL_CONF) or {}).get("deployment_id")
    dep = str(dep) if dep not in (None, "") else None
    info = add_platform(sessions, issuer=platform.issuer, client_id=client_id,
                        auth_login_url=platform.authorization_endpoint, auth_token_url=platform.token_endpoint,
                        key_set_url=platform.jwks_uri, deployment_ids=[dep] if dep else [],
                        name=f"{platform.product} (dynamic registration)", allow_http=allow_private, replace=True)
    return info, dep, platform
