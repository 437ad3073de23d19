"""`handouts lti …`: register platforms, list and remove them, approve deployments, rotate the tool's key, and
print what an admin pastes into Canvas or Moodle."""

from __future__ import annotations

import argparse
import json


def add_lti_parser(sub, fn) -> None:
    """The `lti` command and its subcommands, on the CLI's subparsers."""
    lt = sub.add_parser("lti", help="LTI 1.3: platform registrations (Canvas, Moodle) and the tool's settings")
    ls = lt.add_subparsers(dest="lti_command", required=True)
    ap = ls.add_parser("add-platform", help="register a platform (issuer + client id) and its endpoints")
    ap.add_argument("--issuer", required=True, help="the platform's issuer (Canvas: https://canvas.instructure.com; "
                                                    "Moodle: its address)")
    ap.add_argument("--client-id", required=True, help="the client id the platform gave the tool")
    ap.add_argument("--auth-login-url", required=True, help="the platform's OIDC authorization endpoint")
    ap.add_argument("--auth-token-url", required=True, help="the platform's OAuth2 token endpoint")
    ap.add_argument("--key-set-url", required=True, help="the platform's public key set (JWKS) URL")
    ap.add_argument("--deployment-id", action="append", default=[],
                    help="an approved deployment id (repeat for several)")
    ap.add_argument("--audience", help="the token endpoint's audience, when it differs from its URL")
    ap.add_argument("--name", help="a name to recognise the platform by in `handouts lti list`")
    ap.add_argument("--replace", action="store_true", help="update an existing registration's URLs")
    ls.add_parser("list", help="registered platforms and their deployments")
    rm = ls.add_parser("remove", help="remove a registration (by id, or issuer + client id)")
    rm.add_argument("platform", nargs="?", type=int, help="the id `handouts lti list` shows")
    rm.add_argument("--issuer")
    rm.add_argument("--client-id")
    apr = ls.add_parser("approve", help="let a pending deployment launch")
    apr.add_argument("--platform", type=int, required=True, help="the id `handouts lti list` shows")
    apr.add_argument("--deployment-id", required=True)
    cf = ls.add_parser("config", help="print the settings to paste into Canvas and Moodle")
    cf.add_argument("--base-url", required=True, help="the public https address of Handouts, e.g. "
                                                      "https://handouts.example.edu")
    cf.add_argument("--lms", choices=("canvas", "moodle", "all"), default="all")
    ls.add_parser("rotate-key", help="sign with the next key from now on; publish a new next key")
    lt.set_defaults(fn=fn, quiet_logs=True)


def endpoints(base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"login": f"{base}/lti/login", "launch": f"{base}/lti/launch", "jwks": f"{base}/lti/jwks",
            "register": f"{base}/lti/register"}


def canvas_config(base_url: str) -> dict:
    """The JSON of a Canvas LTI developer key: course navigation for the dashboard, deep linking from modules
    and the rich content editor; public privacy so the instructor's e-mail arrives for notifications."""
    e = endpoints(base_url)
    placement = {"target_link_uri": e["launch"], "text": "Handouts", "enabled": True}
    return {
        "title": "Handouts",
        "description": "Lecture recordings into PDF handouts and study materials.",
        "oidc_initiation_url": e["login"],
        "target_link_uri": e["launch"],
        "public_jwk_url": e["jwks"],
        "scopes": ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"],
        "custom_fields": {"context_id_history": "$Context.id.history"},
        "extensions": [{
            "platform": "canvas.instructure.com",
            "privacy_level": "public",
            "settings": {"placements": [
                {**placement, "placement": "course_navigation", "message_type": "LtiResourceLinkRequest",
                 "default": "enabled", "visibility": "members"},
                {**placement, "placement": "link_selection", "message_type": "LtiDeepLinkingRequest"},
                {**placement, "placement": "editor_button", "message_type": "LtiDeepLinkingRequest",
                 "icon_url": f"{base_url.rstrip('/')}/lti/static/icon.svg"},
            ]},
        }],
    }


def moodle_settings(base_url: str) -> list[tuple[str, str]]:
    """Moodle 4.x "Manage tools → configure a tool manually", field by field."""
    e = endpoints(base_url)
    return [
        ("Tool name", "Handouts"),
        ("Tool URL", e["launch"]),
        ("LTI version", "LTI 1.3"),
        ("Public key type", "Keyset URL"),
        ("Public keyset", e["jwks"]),
        ("Initiate login URL", e["login"]),
        ("Redirection URI(s)", e["launch"]),
        ("Custom parameters", "context_id_history=$Context.id.history"),
        ("Tool configuration usage", "Show in activity chooser and as a preconfigured tool"),
        ("Default launch container", "Embed, without blocks (or New window)"),
        ("Supports Deep Linking (Content-Item Message)", "ticked"),
        ("Content Selection URL", e["launch"]),
        ("IMS LTI Names and Role Provisioning", "Use this service to retrieve members' information as per "
                                                "privacy settings"),
        ("Share launcher's name with tool", "Always"),
        ("Share launcher's email with tool", "Always"),
        ("Accept grades from the tool", "Never"),
    ]


def print_config(base_url: str, lms: str) -> None:
    e = endpoints(base_url)
    if lms in ("canvas", "all"):
        print("== Canvas: Admin → Developer Keys → + Developer Key → LTI Key → Method: Paste JSON")
        print(f"Redirect URIs: {e['launch']}")
        print(json.dumps(canvas_config(base_url), indent=2))
        print("Then turn the key ON, copy its Client ID (the number under Details), add the app to an account or "
              "course by that Client ID, and copy the Deployment ID from the app's settings. Register it here:")
        print("  handouts lti add-platform --issuer https://canvas.instructure.com --client-id <Client ID> \\\n"
              "    --auth-login-url https://sso.canvaslms.com/api/lti/authorize_redirect \\\n"
              "    --auth-token-url https://sso.canvaslms.com/login/oauth2/token \\\n"
              "    --key-set-url https://sso.canvaslms.com/api/lti/security/jwks --deployment-id <Deployment ID>")
        print("(A self-hosted Canvas uses its own address as issuer and for the three URLs.)\n")
    if lms in ("moodle", "all"):
        print("== Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools → "
              "configure a tool manually")
        width = max(len(k) for k, _ in moodle_settings(base_url))
        for k, v in moodle_settings(base_url):
            print(f"  {k:<{width}}  {v}")
        print("Save, then open the tool's 'View configuration details' (the list icon) and register it here:")
        print("  handouts lti add-platform --issuer <Platform ID> --client-id <Client ID> \\\n"
              "    --auth-login-url <Moodle>/mod/lti/auth.php --auth-token-url <Moodle>/mod/lti/token.php \\\n"
              "    --key-set-url <Moodle>/mod/lti/certs.php --deployment-id <Deployment ID>")
        print(f"Or, with HANDOUTS_LTI_REGISTRATION_TOKEN set, paste {e['register']}?token=<token> as the tool URL "
              "under 'LTI Advantage' (dynamic registration) and activate the tool afterwards.")


def run_lti(args: argparse.Namespace, settings, sessions) -> int:
    """Carry out one `handouts lti` subcommand."""
    from pipeline.crypto import cipher_for

    from . import keys
    from .registry import add_platform, approve_deployment, get_platform, list_platforms, remove_platform

    cmd = args.lti_command
    if cmd == "config":
        print_config(args.base_url, args.lms)
        return 0
    if cmd == "add-platform":
        p = add_platform(sessions, issuer=args.issuer, client_id=args.client_id, auth_login_url=args.auth_login_url,
                         auth_token_url=args.auth_token_url, key_set_url=args.key_set_url,
                         deployment_ids=args.deployment_id, auth_audience=args.audience, name=args.name,
                         allow_http=settings.allow_private_urls, replace=args.replace)
        keys.ensure_keys(sessions, cipher_for(settings, "lti"))
        print(f"platform {p.id}: {p.issuer} client {p.client_id}"
              + (f", deployments {', '.join(args.deployment_id)}" if args.deployment_id else
                 f" (deployments: {'recorded on first launch' if settings.lti_deployments == 'auto' else 'approve each with `handouts lti approve`'})"))
        return 0
    if cmd == "list":
        rows = list_platforms(sessions)
        if not rows:
            print("no platforms registered; `handouts lti config --base-url URL` shows how to register one")
        for p, deps in rows:
            print(f"{p.id:>3}  {p.issuer}  client {p.client_id}" + (f"  ({p.name})" if p.name else ""))
            print(f"     login {p.auth_login_url}\n     token {p.auth_token_url}\n     keys  {p.key_set_url}")
            for d, status in deps:
                print(f"     deployment {d}: {status}")
        return 0
    if cmd == "remove":
        if args.platform is None and not (args.issuer and args.client_id):
            from pipeline.errors import InputError

            raise InputError("name the platform: its id (`handouts lti list`) or --issuer and --client-id")
        p = remove_platform(sessions, platform_id=args.platform, issuer=args.issuer, client_id=args.client_id)
        print(f"removed platform {p.id}: {p.issuer} client {p.client_id}")
        return 0
    if cmd == "approve":
        if get_platform(sessions, args.platform) is None:
            from pipeline.errors import InputError

            raise InputError(f"no platform {args.platform}; `handouts lti list` shows them")
        approve_deployment(sessions, args.platform, args.deployment_id)
        print(f"deployment {args.deployment_id} of platform {args.platform} approved")
        return 0
    if cmd == "rotate-key":
        k = keys.rotate(sessions, cipher_for(settings, "lti"))
        print(f"now signing with key {k.kid}; the previous key stays published until the next rotation")
        return 0
    raise AssertionError(cmd)
