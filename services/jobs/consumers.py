"""Events the jobs service consumes (none yet)."""

from shared.events import Subscription

subscriptions: list[Subscription] = []
