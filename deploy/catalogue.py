"""``python -m deploy.catalogue > docs/events.md``: the event catalogue of the platform, from the
publishers' contracts and the consumers' subscriptions (see shared/events/catalogue.py)."""

from deploy.topology import PUBLISHERS, SERVICES, events_module, subscriptions
from shared.events.catalogue import render


def catalogue() -> str:
    return render(
        {service: events_module(service) for service in PUBLISHERS},
        {service: subscriptions(service) for service in SERVICES},
    )


if __name__ == "__main__":
    print(catalogue(), end="")
