"""Events the subsidies service consumes (none yet)."""

from shared.events import Subscription

subscriptions: list[Subscription] = []
