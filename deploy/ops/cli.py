"""The command line of ``python -m deploy.ops`` (the commands are described in __init__.py)."""

import argparse
import sys
from collections.abc import Sequence

import deploy.ops
from deploy.ops import admin, events
from deploy.ops.common import USAGE, add_json_option, guarded
from deploy.topology import PROCESSES, PUBLISHERS, SERVICES


def _gateway_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    user = sub.add_parser("user", help="staff users (gateway)").add_subparsers(
        dest="action", required=True
    )
    create = user.add_parser(
        "create",
        help="create a staff user",
        description="Options as `python -m gateway.cli create-user`: --username, --role, "
        "--display-name, --password (omit to be asked).",
    )
    create.set_defaults(run=admin.gateway_cli("create-user"), passthrough=True)
    key = sub.add_parser("key", help="API keys (gateway)").add_subparsers(
        dest="action", required=True
    )
    for action, command, text in (
        ("create", "create-api-key", "--role, --subject, --name; the key is printed once"),
        ("revoke", "revoke-api-key", "the key's id"),
        ("list", "list-api-keys", "prefixes only"),
    ):
        sp = key.add_parser(action, help=f"{action} API keys", description=text)
        sp.set_defaults(run=admin.gateway_cli(command), passthrough=True)


def _audit_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    aud = sub.add_parser("audit", help="the subsidies audit chain").add_subparsers(
        dest="action", required=True
    )
    verify = aud.add_parser(
        "verify",
        help="check the chain and its anchors",
        description="The keyed hash chain and the heads anchored in NATS (as the subsidies or "
        "ops NATS user); prints the verdict as JSON; exit 1 when they do not hold.",
    )
    verify.set_defaults(run=admin.audit_verify)
    anchor = aud.add_parser(
        "anchor",
        help="anchor the chain's head in NATS now",
        description="What the subsidies service does every SUBSIDIES_AUDIT_ANCHOR_SECONDS and "
        "after each payment export, now: puts the committed head (seq, hash) in the "
        "AUDIT_ANCHORS bucket unless it is already the latest anchor; prints it as JSON.",
    )
    anchor.set_defaults(run=admin.audit_anchor)


def _event_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    back = sub.add_parser(
        "backlog",
        help="outbox backlog per service",
        description="Events committed but not yet published, per service, and the age of the "
        "oldest; exit 1 when one is older than --max-age.",
    )
    back.add_argument("service", nargs="*", help=f"default: all of {', '.join(sorted(PUBLISHERS))}")
    back.add_argument("--max-age", type=float, default=None, metavar="SECONDS")
    add_json_option(back)
    back.set_defaults(run=events.backlog)

    lag = sub.add_parser(
        "lag",
        help="stream and consumer lag in NATS",
        description="Per publisher's stream: messages, bytes, last sequence; per durable "
        "consumer on it: messages not yet delivered (pending), delivered but not acknowledged, "
        "redelivered, last active. As the ops NATS user. Exit 1 when a consumer has more than "
        "--max-pending messages not yet delivered.",
    )
    lag.add_argument("--max-pending", type=int, default=None, metavar="N")
    add_json_option(lag)
    lag.set_defaults(run=events.lag)

    _dead_letter_commands(sub)

    rep = sub.add_parser(
        "republish",
        help="re-publish a service's events from its outbox",
        description="Marks the outbox rows after --since-seq as pending again; the service's "
        "relay re-sends them and consumers drop what they already applied.",
    )
    rep.add_argument("service", choices=sorted(PUBLISHERS))
    rep.add_argument("--since-seq", type=int, default=0)
    rep.set_defaults(run=events.republish)


def _dead_letter_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    dead = sub.add_parser("dead-letters", help="messages consumers gave up on").add_subparsers(
        dest="action", required=True
    )
    listing = dead.add_parser(
        "list",
        help="list a service's dead letters",
        description="Id, when, consumer, kind (unsigned, invalid_envelope, misaddressed, "
        "invalid_data, poison, exhausted), event type, stream sequence, deliveries, size and "
        "reason; never the body. Not yet replayed ones, or --all.",
    )
    listing.add_argument("service", choices=sorted(SERVICES))
    listing.add_argument("--all", action="store_true", help="replayed ones too")
    add_json_option(listing)
    listing.set_defaults(run=events.dead_letters_list)
    replay = dead.add_parser(
        "replay",
        help="apply dead letters now",
        description="Applies each through its consumer's handler, in this process, after the "
        "consumer's checks (the publisher's signature with today's keys, the envelope, its "
        "subject); unsigned and misaddressed letters never. The inbox drops an event already "
        "applied (outcome duplicate). Settled letters are marked replayed; exit 1 when one "
        "was not (refused, failed again, not found).",
    )
    replay.add_argument("service", choices=sorted(SERVICES))
    replay.add_argument("ids", nargs="*", type=int, metavar="id")
    replay.add_argument("--all", action="store_true", help="every letter not yet replayed")
    add_json_option(replay)
    replay.set_defaults(
        run=events.dead_letters_replay,
        usage_error=lambda a: None if bool(a.ids) != bool(a.all) else "name ids, or --all",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m deploy.ops",
        description=deploy.ops.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    _gateway_commands(sub)
    _audit_commands(sub)
    _event_commands(sub)
    mig = sub.add_parser("migrate", help="run or check migrations")
    mig.add_argument("process", choices=[*sorted(PROCESSES), "all"])
    mig.add_argument("action", choices=["upgrade", "check", "current"])
    mig.set_defaults(run=admin.migrate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from shared.logging import configure_logging

    p = parser()
    try:
        # The gateway's commands take their own options (see their --help in gateway.cli).
        args, rest = p.parse_known_args(argv)
        if rest and not getattr(args, "passthrough", False):
            p.error(f"unrecognized arguments: {' '.join(rest)}")
        problem = getattr(args, "usage_error", lambda _args: None)(args)
        if problem:
            p.error(problem)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else USAGE
    args.rest = rest
    # Logs (warnings only) on standard error: standard output is the commands' results.
    configure_logging("ops", level="WARNING", stream=sys.stderr)
    return guarded(lambda: args.run(args))
