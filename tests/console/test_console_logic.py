"""The console's own logic for the public notice and bank files, without a browser."""

from datetime import date

from gateway.console.routes.notice import groups
from gateway.console.routes.payments import file_format


def entry(code: str, starts: str, ends: str) -> dict[str, str]:
    return {
        "program_code": code,
        "program_name": code.upper(),
        "notice_starts_at": starts,
        "notice_ends_at": ends,
    }


class TestNoticeGroups:
    def test_per_program_and_notice_period_in_china_time_in_board_order(self):
        items = [
            entry("a", "2026-06-01T01:00:00Z", "2026-06-06T01:00:00Z"),
            # 17:00 UTC is the next day in China: another period.
            entry("a", "2026-06-01T17:00:00Z", "2026-06-06T17:00:00Z"),
            entry("b", "2026-06-01T02:00:00Z", "2026-06-06T02:00:00Z"),
            entry("a", "2026-06-01T03:00:00Z", "2026-06-06T03:00:00Z"),
        ]
        found = groups(items)
        assert [(g.program_code, g.starts, g.ends, len(g.items)) for g in found] == [
            ("a", date(2026, 6, 1), date(2026, 6, 6), 2),
            ("a", date(2026, 6, 2), date(2026, 6, 7), 1),
            ("b", date(2026, 6, 1), date(2026, 6, 6), 1),
        ]


class TestFileFormat:
    def test_gbk_and_yuan_unless_chosen(self):
        assert file_format({}) == {"encoding": "gbk", "amounts": "yuan"}
        assert file_format({"encoding": "utf-8-sig", "amounts": "fen"}) == {
            "encoding": "utf-8-sig",
            "amounts": "fen",
        }
        # Anything else is not passed on to the API.
        assert file_format({"encoding": "latin-1", "amounts": "cents"}) == {
            "encoding": "gbk",
            "amounts": "yuan",
        }
