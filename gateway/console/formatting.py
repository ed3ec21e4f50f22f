"""How the console shows money, rates and times: exactly, in China's way."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

# China Standard Time has had no daylight saving since 1991: a fixed offset is exact.
CHINA = timezone(timedelta(hours=8), "CST")


def yuan(fen: int | None, *, grouping: bool = True) -> str:
    """Integer fen as yuan with two decimals (``123456`` → ``1,234.56``), by integer arithmetic."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{text}.{cents:02d}"


def yuan_decimal(fen: int | None) -> Decimal | None:
    """The exact yuan amount as a Decimal (for spreadsheets)."""
    if fen is None:
        return None
    return Decimal(int(fen)).scaleb(-2)


def percent(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` as a percentage with two decimals, exactly rounded half up;
    empty when there is nothing to divide by."""
    if denominator <= 0:
        return ""
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return f"{value}%"


def basis_points(bp: int | None) -> str:
    """1/10000 units as a percentage with two decimals (``1234`` → ``12.34%``)."""
    if bp is None:
        return ""
    whole, rest = divmod(abs(int(bp)), 100)
    return f"{'-' if bp < 0 else ''}{whole}.{rest:02d}%"


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def china_time(value: str | datetime | None) -> str:
    """A UTC timestamp of the API shown in China time, to the minute."""
    moment = parse_time(value)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def china_naive(value: str | datetime | None) -> datetime | None:
    """China time without zone (Excel has no time zones)."""
    moment = parse_time(value)
    return moment.astimezone(CHINA).replace(tzinfo=None) if moment else None


def as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)
