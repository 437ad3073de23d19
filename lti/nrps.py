"""Names and Role Provisioning: the course roster, used only to find the requester's e-mail when the launch
did not carry it. Optional in every sense: bounded in time and pages, and any failure only means no e-mail.

pylti1p3's ServiceConnector gets the token (a JWT signed with the tool's key, client_credentials); paging is ours,
because 2.0.0 lowercases the whole Link header and so breaks next-page URLs with capitals in them.
"""

from __future__ import annotations

import re

import requests
from pylti1p3.exception import LtiException
from pylti1p3.service_connector import ServiceConnector

from pipeline.logs import get_logger

from .launch import LtiServices
from .registry import PlatformInfo

log = get_logger("handouts.lti.nrps")

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ACCEPT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 20
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


class _Timeout(requests.adapters.HTTPAdapter):
    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request, **kwargs):
        kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def next_link(header: str) -> str | None:
    """The rel="next" URL of a Link header, which may list several links (`<a>; rel="current", <b>; rel="next"`)."""
    for url, params in _LINK.findall(header or ""):
        rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', params, flags=re.I)
        if any("next" in r.lower().split() for r in rels):
            return url
    return None


def _session(timeout: float) -> requests.Session:
    s = requests.Session()
    adapter = _Timeout(timeout)
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    s.headers["User-Agent"] = "Handouts LTI"
    return s


def requester_email(svc: LtiServices, platform: PlatformInfo, claims: dict, user_id: str) -> str | None:
    """The e-mail the roster lists for `user_id`, or None (no service offered, not listed, or any failure)."""
    service = claims.get(NRPS_CLAIM) or {}
    url = service.get("context_memberships_url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    connector = ServiceConnector(svc.conf.registration(platform), requests_session=_session(svc.settings.lti_http_timeout))
    try:
        for _ in range(MAX_PAGES):
            page = connector.make_service_request([SCOPE], url, accept=ACCEPT)
            for member in (page.get("body") or {}).get("members") or []:
                if str(member.get("user_id")) == user_id and member.get("email"):
                    return str(member["email"])
            headers = {k.lower(): v for k, v in (page.get("headers") or {}).items()}
            url = next_link(headers.get("link", ""))
            if not url:
                return None
    except (LtiException, requests.RequestException, ValueError, KeyError) as e:
        log.warning("lti_nrps_failed", issuer=platform.issuer, error=f"{type(e).__name__}: {str(e)[:200]}")
    return None
