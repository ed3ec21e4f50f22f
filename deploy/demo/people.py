"""Made-up people of a scenario: names, valid national ID numbers, phones, bank accounts; all
derived from a number, so a run is reproducible and no two people share an ID number."""

from datetime import date, timedelta

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = "小明华丽芳军勇敏静强磊洋艳杰娟涛超霞平刚桂英兰"
TOWNSHIPS = ("雍阳街道", "猴场镇", "岚关乡", "草塘镇", "银盏镇", "江界河镇", "天文镇", "建中镇")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[n // 20 % len(GIVEN)] + GIVEN[n // 500 % len(GIVEN)]


def national_id(run: int, n: int) -> str:
    """18 characters, Weng'an's area code (522725), a birth date and the MOD 11-2 check."""
    born = date(1966, 1, 1) + timedelta(days=(run * 7919 + n // 1000) % 12000)
    body = f"522725{born:%Y%m%d}{n % 1000:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]
    return body + check


def township(n: int) -> str:
    return TOWNSHIPS[n % len(TOWNSHIPS)]


def account(run: int, n: int, attempt: int = 0) -> str:
    return f"62284{run % 1000:03d}{attempt}{n:010d}"
