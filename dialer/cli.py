"""`dialer` command line: serve (API + scheduler, migrations first), migrate, and operations commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from config.settings import Settings, SettingsError, load_settings
from dialer.logs import configure_logging
from dialer.store.db import Database
from dialer.store.migrate import upgrade

log = logging.getLogger(__name__)


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(_migrate(settings))
    log.info("database schema is up to date")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.served import ServedApp

    settings.check_production_secrets()
    asyncio.run(_migrate(settings))
    host = args.host or settings.host
    port = args.port or settings.port
    if host != settings.host or port != settings.port:
        settings = settings.model_copy(update={"host": host, "port": port})
    app = ServedApp(settings)
    # uvicorn's access log prints raw paths (which can hold phone numbers); ours logs route templates.
    # Live pages hold their event streams open: on shutdown they get 5 s, then are cut (browsers reconnect).
    uvicorn.run(
        app, host=host, port=port, log_config=None, access_log=False, proxy_headers=False, timeout_graceful_shutdown=5
    )
    return 0


def cmd_provision(settings: Settings, args: argparse.Namespace) -> int:
    from dialer.provisioning import provision_command

    return asyncio.run(provision_command(settings, dry_run=args.dry_run))


def cmd_trunks(settings: Settings, args: argparse.Namespace) -> int:
    from dialer.provisioning import trunks_list_command

    assert args.trunks_command == "list"
    return asyncio.run(trunks_list_command(settings))


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "provision": cmd_provision,
    "trunks": cmd_trunks,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dialer", description=__doc__)
    parser.add_argument("--env-file", help="read settings from this file (environment variables still win)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API and the dialling scheduler (applies migrations first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    sub.add_parser("migrate", help="apply database migrations and exit")
    provision = sub.add_parser(
        "provision", help="create or update the SIP trunks and briefing dispatch rule in LiveKit (needs LIVEKIT_URL)"
    )
    provision.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    trunks = sub.add_parser("trunks", help="inspect LiveKit's SIP trunks and dispatch rules (needs LIVEKIT_URL)")
    trunks_sub = trunks.add_subparsers(dest="trunks_command", required=True)
    trunks_sub.add_parser("list", help="inbound and outbound trunks and dispatch rules (numbers masked)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        settings = load_settings(args.env_file) if args.env_file else load_settings()
        return COMMANDS[args.command](settings, args)
    except SettingsError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
