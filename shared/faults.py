"""Fault-injection points for crash tests.

``EW_FAULTS=relay.before_publish`` (a comma-separated list) makes the process die with
``os._exit`` the moment it reaches that point, as a ``kill -9`` would: no cleanup, no flush.
Points: ``request.after_commit``, ``relay.before_publish``, ``relay.after_publish``,
``consumer.after_commit`` (before the ack).
"""

import os
import sys


def fault_point(name: str) -> None:
    armed = os.environ.get("EW_FAULTS", "")
    if armed and name in {p.strip() for p in armed.split(",")}:
        sys.stderr.write(f"fault injected at {name}: exiting\n")
        sys.stderr.flush()
        os._exit(137)
