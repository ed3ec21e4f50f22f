"""``python -m deploy.ops``: the operator's one entry point (issue 13, part 6).

Each subcommand runs with the settings of the process it concerns, read from the environment as
that process reads them (run it inside a pod of that process: deploy/README.md, "Operator
commands"), and has its own ``--help``:

    user create            a staff user (wraps python -m gateway.cli create-user)
    key create|revoke|list API keys (wraps python -m gateway.cli)
    audit verify           check the subsidies audit chain and its anchors in NATS
    backlog [service …]    each service's outbox: events not yet in NATS, and the oldest's age
    republish <service>    queue a service's outbox events to be published again (deploy.reconcile)
    migrate <process|all> <upgrade|check|current>   migrations (deploy.migrate)

Exit codes, for scripts:
    0  done; the check passed
    1  the check failed or the operation was refused (audit chain broken, backlog too old,
       unknown user or key, a key already revoked …)
    2  wrong usage or configuration (unknown subcommand or option, invalid value, a setting
       of the process missing or invalid)
    3  a database or NATS could not be reached
"""

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from deploy.topology import PROCESSES, PUBLISHERS

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Progress:
    """A progress bar on standard error for work in steps (standard output stays parseable)."""

    def __init__(self, total: int, label: str, stream: Any = None) -> None:
        self.total = max(1, total)
        self.label = label
        self.done = 0
        self.stream = stream or sys.stderr

    def step(self, what: str) -> None:
        self.done += 1
        width = 24
        filled = width * self.done // self.total
        bar = "#" * filled + "-" * (width - filled)
        print(f"{self.label} [{bar}] {self.done}/{self.total} {what}", file=self.stream, flush=True)


def _unreachable(exc: BaseException) -> bool:
    import asyncpg
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, OSError | asyncpg.PostgresConnectionError | TimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return isinstance(exc.orig, OSError) or "connect" in str(exc).lower()
    return False


def _guarded(run: Callable[[], int | None]) -> int:
    """Run a wrapped command: its exit status; a failure to connect is UNREACHABLE."""
    try:
        status = run()
    except SystemExit as exc:  # the wrapped command's own argparse or exit
        code = exc.code
        return code if isinstance(code, int) else (OK if code is None else FAILED)
    except Exception as exc:
        if _unreachable(exc):
            print(f"cannot connect: {exc}", file=sys.stderr)
            return UNREACHABLE
        if type(exc).__name__ == "ValidationError":  # the process's settings
            print(f"configuration: {exc}", file=sys.stderr)
            return USAGE
        raise
    return status or OK


# --- subcommands ---------------------------------------------------------------------------------
def gateway_cli(command: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from gateway.cli import main

        return _guarded(lambda: main([command, *args.rest]))

    return run


def audit(args: argparse.Namespace) -> int:
    from services.subsidies.audit.service import main

    return _guarded(lambda: main([args.action]))


def republish(args: argparse.Namespace) -> int:
    from shared.events.reconcile import main

    publishers = {service: PROCESSES[service] for service in PUBLISHERS}
    return _guarded(lambda: main(publishers, [args.service, "--since-seq", str(args.since_seq)]))


def migrate(args: argparse.Namespace) -> int:
    from shared.migrations import main, upgrade_service

    if args.process != "all":
        return _guarded(lambda: main(PROCESSES, [args.process, args.action]))
    if args.action != "upgrade":
        print("'all' only goes with 'upgrade'", file=sys.stderr)
        return USAGE
    progress = Progress(len(PROCESSES), "migrate")
    for name, package in PROCESSES.items():
        status = _guarded(partial(upgrade_service, package))
        if status != OK:
            return status
        progress.step(name)
    return OK


def backlog(args: argparse.Namespace) -> int:
    from shared.db import make_engine, make_sessionmaker
    from shared.events.metrics import outbox_backlog
    from shared.migrations import load_settings

    services = args.service or sorted(PUBLISHERS)
    unknown = [s for s in services if s not in PUBLISHERS]
    if unknown:
        print(f"no such service: {', '.join(unknown)}", file=sys.stderr)
        return USAGE

    async def one(service: str) -> tuple[int, float]:
        engine = make_engine(load_settings(PROCESSES[service]).database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await outbox_backlog(session, datetime.now(UTC))
        finally:
            await engine.dispose()

    progress = Progress(len(services), "backlog")
    too_old = []
    print("service\tpending\toldest_seconds")
    for service in services:
        try:
            pending, oldest = asyncio.run(one(service))
        except Exception as exc:
            if _unreachable(exc):
                print(f"cannot connect to {service}'s database: {exc}", file=sys.stderr)
                return UNREACHABLE
            raise
        progress.step(service)
        print(f"{service}\t{pending}\t{oldest:.0f}", flush=True)
        if args.max_age is not None and oldest > args.max_age:
            too_old.append(service)
    if too_old:
        print(f"older than {args.max_age:g} s: {', '.join(too_old)}", file=sys.stderr)
        return FAILED
    return OK


def parser() -> argparse.ArgumentParser:
    """The command line: every subcommand and its options. Long because it is one argparse
    tree, read top to bottom like the ``--help`` it prints; split, it would be harder to see."""
    p = argparse.ArgumentParser(
        prog="python -m deploy.ops",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    user = sub.add_parser("user", help="staff users (gateway)").add_subparsers(
        dest="action", required=True
    )
    create = user.add_parser(
        "create",
        help="create a staff user",
        description="Options as `python -m gateway.cli create-user`: --username, --role, "
        "--display-name, --password (omit to be asked).",
    )
    create.set_defaults(run=gateway_cli("create-user"), passthrough=True)

    key = sub.add_parser("key", help="API keys (gateway)").add_subparsers(
        dest="action", required=True
    )
    for action, command, text in (
        ("create", "create-api-key", "--role, --subject, --name; the key is printed once"),
        ("revoke", "revoke-api-key", "the key's id"),
        ("list", "list-api-keys", "prefixes only"),
    ):
        sp = key.add_parser(action, help=f"{action} API keys", description=text)
        sp.set_defaults(run=gateway_cli(command), passthrough=True)

    aud = sub.add_parser(
        "audit",
        help="the subsidies audit chain",
        description="verify: the keyed hash chain and the heads anchored in NATS (as the ops "
        "user); exit 1 when they do not hold. The anchors are written by the subsidies service.",
    )
    aud.add_argument("action", choices=["verify"])
    aud.set_defaults(run=audit)

    back = sub.add_parser(
        "backlog",
        help="outbox backlog per service",
        description="Events committed but not yet published, per service, and the age of the "
        "oldest; exit 1 when one is older than --max-age.",
    )
    back.add_argument("service", nargs="*", help=f"default: all of {', '.join(sorted(PUBLISHERS))}")
    back.add_argument("--max-age", type=float, default=None, metavar="SECONDS")
    back.set_defaults(run=backlog)

    rep = sub.add_parser(
        "republish",
        help="re-publish a service's events from its outbox",
        description="Marks the outbox rows after --since-seq as pending again; the service's "
        "relay re-sends them and consumers drop what they already applied.",
    )
    rep.add_argument("service", choices=sorted(PUBLISHERS))
    rep.add_argument("--since-seq", type=int, default=0)
    rep.set_defaults(run=republish)

    mig = sub.add_parser("migrate", help="run or check migrations")
    mig.add_argument("process", choices=[*sorted(PROCESSES), "all"])
    mig.add_argument("action", choices=["upgrade", "check", "current"])
    mig.set_defaults(run=migrate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    try:
        # The gateway's commands take their own options (see their --help in gateway.cli).
        args, rest = p.parse_known_args(argv)
        if rest and not getattr(args, "passthrough", False):
            p.error(f"unrecognized arguments: {' '.join(rest)}")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else USAGE
    args.rest = rest
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
