"""Events the products service consumes (none yet)."""

from shared.events import Subscription

subscriptions: list[Subscription] = []
