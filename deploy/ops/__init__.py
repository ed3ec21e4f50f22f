"""``python -m deploy.ops``: the operator's one entry point (issue 13, part 6).

Each subcommand runs with the settings of the process it concerns, read from the environment as
that process reads them (run it inside a pod of that process: deploy/README.md, "Operator
commands"), and has its own ``--help``. Results go to standard output (tab-separated with a
header line, or ``--json`` where the output is a table); progress and messages to standard
error.

    user create                  a staff user (wraps python -m gateway.cli create-user)
    key create|revoke|list       API keys (wraps python -m gateway.cli)
    audit verify|anchor          check the subsidies audit chain against its anchors in NATS;
                                 anchor its head in NATS now
    backlog [service …]          each service's outbox: events not yet in NATS, the oldest's age
    lag                          each stream and durable consumer in NATS: messages, pending
    dead-letters list <service>  the messages a service's consumers gave up on (no bodies)
    dead-letters replay <service> <id …>|--all   apply them now, signatures checked again
    republish <service>          queue a service's outbox events to be published again
    migrate <process|all> <upgrade|check|current>   migrations (deploy.migrate)

Exit codes, for scripts:
    0  done; the check passed
    1  the check failed or the operation was refused (audit chain broken, backlog too old, lag
       over --max-pending, a dead letter not replayed, unknown user or key …)
    2  wrong usage or configuration (unknown subcommand or option, invalid value, a setting
       of the process missing or invalid, a NATS user not allowed to do it)
    3  a database or NATS could not be reached
"""
