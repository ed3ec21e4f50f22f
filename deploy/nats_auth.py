"""``python -m deploy.nats_auth``: the ``authorization`` block that deploy/nats-auth.conf and
deploy/k8s/nats.yaml (auth.conf) carry, for the users of deploy/topology.py (see
shared/events/permissions.py); tests/e2e/test_deploy_config.py checks that they agree."""

from deploy.topology import BROKER
from shared.events.permissions import nats_authorization

if __name__ == "__main__":
    print(nats_authorization(BROKER), end="")
