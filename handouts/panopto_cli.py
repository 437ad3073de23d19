"""`handouts panopto add-server | list | remove`: a tenant's Panopto servers (secrets stored encrypted)."""

from __future__ import annotations

import argparse
import json


def cmd_panopto_servers(args) -> int:
    """Add, list or remove Panopto servers; never prints a secret."""
    from pipeline.panopto.servers import SETTINGS_TENANT, add_server, list_servers, remove_server

    from .cli import _fail, _runtime

    rt = _runtime(args)
    try:
        if args.panopto_command == "add-server":
            with rt.transaction() as s:
                server = add_server(s, rt.settings, tenant=args.tenant, host=args.host, client_id=args.client_id,
                                    client_secret=args.client_secret, username=args.username,
                                    password=args.password, service_user_allowed=args.allow_service_user)
            print(f"Panopto server {server.base_url} saved for tenant {server.tenant}"
                  + (" (service user allowed)" if server.service_user_allowed else ""))
            return 0
        if args.panopto_command == "remove":
            with rt.transaction() as s:
                gone = remove_server(s, tenant=args.tenant, host=args.host, settings=rt.settings)
            if not gone:
                return _fail(f"tenant {args.tenant} has no Panopto server {args.host}; see `handouts panopto list`")
            print(f"Panopto server {args.host} removed from tenant {args.tenant}")
            return 0
        with rt.sessions() as s:
            servers = list_servers(s, rt.settings, args.tenant)
        rows = [{"tenant": x.tenant, "base_url": x.base_url, "client_id": x.client_id,
                 "service_user": x.username, "service_user_allowed": x.service_user_allowed,
                 "from": "settings" if x.tenant == SETTINGS_TENANT else "database"} for x in servers]
        if args.json:
            print(json.dumps({"servers": rows}, indent=1))
        elif not rows:
            print("no Panopto server; add one with `handouts panopto add-server` or set PANOPTO_HOST")
        for r in rows if not args.json else []:
            who = f", service user {r['service_user']}" + (" (allowed)" if r["service_user_allowed"] else
                                                           " (not allowed)") if r["service_user"] else ""
            print(f"{r['tenant']:<24} {r['base_url']:<40} client {r['client_id']}{who} [{r['from']}]")
        return 0
    finally:
        rt.close()


def add_panopto_parser(sub) -> argparse._SubParsersAction:
    """The `panopto` command group; returns its sub-parsers so other verbs can join it."""
    pp = sub.add_parser("panopto", help="Panopto servers and accounts")
    verbs = pp.add_subparsers(dest="panopto_command", required=True)
    a = verbs.add_parser("add-server", help="add (or replace) a tenant's Panopto server and its API client")
    a.add_argument("--tenant", required=True, help="local, slack:<team id> or lti:…")
    a.add_argument("--host", required=True, help="the server, e.g. uni.hosted.panopto.com or https://…")
    a.add_argument("--client-id", required=True, help="the Panopto API client's id")
    a.add_argument("--client-secret", required=True, help="the Panopto API client's secret (stored encrypted)")
    a.add_argument("--username", help="a service user for the password grant")
    a.add_argument("--password", help="the service user's password (stored encrypted)")
    a.add_argument("--allow-service-user", action="store_true",
                   help="let the service user fetch for people who have not linked their own account")
    a.set_defaults(fn=cmd_panopto_servers, quiet_logs=True)
    ls = verbs.add_parser("list", help="the configured servers (no secrets shown)")
    ls.add_argument("--tenant", help="only this tenant's servers (and the settings server)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(fn=cmd_panopto_servers, quiet_logs=True)
    rm = verbs.add_parser("remove", help="forget a tenant's server")
    rm.add_argument("--tenant", required=True)
    rm.add_argument("--host", required=True)
    rm.set_defaults(fn=cmd_panopto_servers, quiet_logs=True)
    return verbs

