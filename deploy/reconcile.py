"""``python -m deploy.reconcile <service> --since-seq N``: re-send a service's events after the
broker lost acknowledged messages (see shared/events/reconcile.py)."""

from deploy.topology import PROCESSES, PUBLISHERS
from shared.events.reconcile import main

if __name__ == "__main__":
    main({service: PROCESSES[service] for service in PUBLISHERS})
