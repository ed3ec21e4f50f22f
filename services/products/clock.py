"""Time in the products service: the one place routes take the current time from, and the
business day (a store's local date in China time, UTC+8, no daylight saving)."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated

from fastapi import Depends

from shared.db import utcnow

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
EARLIEST_SALE = datetime(2000, 1, 1, tzinfo=UTC)


def business_date_of(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA_TZ).date()


def current_time() -> datetime:
    """The request's time, read once; the services take it as their ``now`` parameter."""
    return utcnow()


Now = Annotated[datetime, Depends(current_time)]
