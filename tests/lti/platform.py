"""A test LTI 1.3 platform: an RSA key whose JWKS it serves over HTTP on loopback, and real signed id_tokens.

It plays the LMS side of a launch against the tool's Flask test client:
    platform.login(client)                    → the tool's redirect to our authorization endpoint (state, nonce)
    platform.launch(client, roles=[...])      → login, then a signed id_token posted to /lti/launch
Claims follow the LTI 1.3 core and Deep Linking 2.0 specs; any claim can be overridden or removed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from tests.fakes.http_server import FakeHTTPServer, Reply

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
INSTITUTION_FACULTY = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"
REMOVE = object()


@lru_cache(maxsize=4)
def rsa_key(n: int = 0) -> tuple[str, dict]:
    """A 2048-bit RSA key (private PEM, public JWK with kid/alg/use); generated once per test run per slot."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = JWK.from_pem(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    jwk = {**public.export_public(as_dict=True), "alg": "RS256", "use": "sig", "kid": f"platform-key-{n}"}
    return pem, jwk


@dataclass
class Platform:
    """One LMS registration of the tool: issuer, client id, deployment, and the keys it signs with."""

    server: FakeHTTPServer
    issuer: str = "https://lms.test.example"
    client_id: str = "tool-client-1"
    deployment_id: str = "dep-1"
    key_slot: int = 0
    published: list[int] = field(default_factory=lambda: [0])

    def __post_init__(self) -> None:
        self.server.route("/jwks", lambda req, n: Reply(200, self.jwks_body(), "application/json"))
        self.server.add("/auth", b"authorization endpoint", "text/plain")

    @property
    def key_set_url(self) -> str:
        return self.server.url("/jwks")

    @property
    def auth_url(self) -> str:
        return self.server.url("/auth")

    def jwks_body(self) -> bytes:
        import json

        return json.dumps({"keys": [rsa_key(i)[1] for i in self.published]}).encode()

    def register(self, sessions, **kw):
        """Register this platform with the tool (as `handouts lti add-platform` does)."""
        from lti.registry import add_platform

        return add_platform(sessions, issuer=self.issuer, client_id=self.client_id, auth_login_url=self.auth_url,
                            auth_token_url=self.server.url("/token"), key_set_url=self.key_set_url,
                            deployment_ids=kw.pop("deployment_ids", [self.deployment_id]), allow_http=True, **kw)

    # ------------------------------------------------------------ tokens

    def claims(self, nonce: str, *, message_type: str = "LtiResourceLinkRequest", roles=(INSTRUCTOR,),
               context_id: str = "course-1", sub: str = "user-1", custom: dict | None = None,
               **overrides) -> dict:
        now = int(time.time())
        body = {
            "iss": self.issuer, "aud": self.client_id, "sub": sub, "iat": now, "exp": now + 300, "nonce": nonce,
            "name": "Ada Lovelace", "email": f"{sub}@uni.test",
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": "http://localhost/lti/launch",
            CLAIM + "roles": list(roles),
            CLAIM + "context": {"id": context_id, "label": "BIO101", "title": "Biology 101",
                                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            CLAIM + "launch_presentation": {"document_target": "iframe",
                                            "return_url": f"{self.issuer}/course/{context_id}"},
            CLAIM + "tool_platform": {"guid": "lms-1", "name": "Test LMS", "product_family_code": "test"},
        }
        if message_type == "LtiResourceLinkRequest":
            body[CLAIM + "resource_link"] = {"id": f"rl-{uuid.uuid4().hex[:8]}", "title": "Handouts"}
        else:
            body[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.issuer}/deep_link_return", "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": False,
                "data": "opaque-platform-data"}
        if custom is not None:
            body[CLAIM + "custom"] = custom
        for k, v in overrides.items():
            key = k if k in body or not k.startswith("claim_") else CLAIM + k[len("claim_"):]
            if v is REMOVE:
                body.pop(key, None)
            else:
                body[key] = v
        return body

    def sign(self, body: dict, *, slot: int | None = None, kid: str | None = None, alg: str = "RS256") -> str:
        slot = self.key_slot if slot is None else slot
        pem, jwk = rsa_key(slot)
        return jwt.encode(body, pem, algorithm=alg, headers={"kid": kid or jwk["kid"]})

    # ------------------------------------------------------------ services (token endpoint, roster)

    def serve_roster(self, tool_jwks, members_pages: list[list[dict]]) -> None:
        """A token endpoint that checks the tool's signed client assertion (against `tool_jwks()`), and a
        membership service paged by a Link header (several rels, mixed-case URLs, as Canvas sends)."""
        import json

        self.token_requests: list[dict] = []

        def token(req, n):
            form = req.form
            self.token_requests.append(form)
            assertion = form.get("client_assertion", "")
            kid = jwt.get_unverified_header(assertion).get("kid")
            keys = {k["kid"]: k for k in tool_jwks()["keys"]}
            if kid not in keys or form.get("grant_type") != "client_credentials":
                return Reply(401, b'{"error":"invalid_client"}', "application/json")
            pem = JWK.from_json(json.dumps(keys[kid])).export_to_pem()
            try:
                claims = jwt.decode(assertion, pem, algorithms=["RS256"], audience=self.server.url("/token"))
            except jwt.InvalidTokenError:
                return Reply(401, b'{"error":"invalid_client"}', "application/json")
            if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
                return Reply(401, b'{"error":"invalid_client"}', "application/json")
            return Reply(200, json.dumps({"access_token": "at-roster", "token_type": "bearer",
                                          "expires_in": 3600, "scope": form.get("scope")}).encode(),
                         "application/json")

        def members(req, n):
            if req.headers.get("authorization") != "Bearer at-roster":
                return Reply(401, b"{}", "application/json")
            page = int(req.query.get("Page", "1"))
            body = {"id": req.path, "context": {"id": "course-1"}, "members": members_pages[page - 1]}
            headers = {}
            if page < len(members_pages):
                nxt = self.server.url(f"/CourseSection/Members?Page={page + 1}")
                headers["Link"] = f'<{self.server.url("/CourseSection/Members")}>; rel="current", <{nxt}>; rel="next"'
            return Reply(200, json.dumps(body).encode(),
                         "application/vnd.ims.lti-nrps.v2.membershipcontainer+json", headers)

        self.server.route("/token", token)
        self.server.route("/CourseSection/Members", members)

    @property
    def roster_claim(self) -> dict:
        return {"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": self.server.url("/CourseSection/Members"), "service_versions": ["2.0"]}}

    # ------------------------------------------------------------ the browser's side

    def login(self, client, *, client_id: str | None = "same", issuer: str | None = None, method: str = "POST",
              **extra) -> dict:
        """Start an OIDC login at the tool; the query the tool sends to our auth endpoint (or the response)."""
        params = {"iss": issuer or self.issuer, "login_hint": "user-1", "target_link_uri": "http://localhost/lti/launch",
                  "lti_message_hint": "msg-hint-1", "lti_deployment_id": self.deployment_id, **extra}
        if client_id is not None:
            params["client_id"] = self.client_id if client_id == "same" else client_id
        resp = client.post("/lti/login", data=params) if method == "POST" else client.get("/lti/login",
                                                                                          query_string=params)
        if resp.status_code != 302:
            return {"response": resp}
        location = resp.headers["Location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return {"response": resp, "location": location, **query}

    def launch(self, client, *, token: str | None = None, login: dict | None = None, sign: dict | None = None,
               follow: bool = True, **claims):
        """A full login and launch; returns (the launch response, the login query, the id_token)."""
        login = login or self.login(client)
        if token is None:
            token = self.sign(self.claims(login["nonce"], **claims), **(sign or {}))
        resp = client.post("/lti/launch", data={"id_token": token, "state": login["state"]})
        if follow and resp.status_code == 303:
            resp = client.get(resp.headers["Location"])
        return resp, login, token
