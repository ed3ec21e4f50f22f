"""``python -m deploy.migrate <process|all> <upgrade|revision|check|current> [-m slug]``: the
migrations of the platform's processes (see shared/migrations.py), named in deploy/topology.py."""

from deploy.topology import PROCESSES
from shared.migrations import main

if __name__ == "__main__":
    main(PROCESSES)
