"""The masked name of the public notice (公示)."""

import pytest

from services.jobs.workers.domain import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小明", "王*明"),
        ("欧阳小明", "欧**明"),
        ("王明", "王*"),
        ("王", "*"),
        (" 李娜 ", "李*"),
        ("Wang Fang", "W*******g"),
    ],
)
def test_only_the_first_and_last_characters_are_shown(name, masked):
    assert mask_name(name) == masked
    assert name.strip() not in masked or len(name.strip()) <= 1
