"""The business day of the products service: a store's local date in China time (UTC+8, no
daylight saving). The current time itself comes from the runtime's clock
(:data:`shared.runtime.Now`)."""

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
EARLIEST_SALE = datetime(2000, 1, 1, tzinfo=UTC)


def business_date_of(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA_TZ).date()
