"""The session cookie, CSRF tokens, languages and the plain-words problem messages, without a
browser."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from gateway.console import formatting
from gateway.console.i18n import LOCALES_DIR, choose_language, load_translations
from gateway.console.problems import MESSAGES, Problem, bulk_message
from gateway.console.session import Session, SessionCodec

SECRET = "a-test-secret-for-console-sessions-0123456789"


class TestSessionCookie:
    def test_round_trip(self):
        codec = SessionCodec(SECRET, idle_seconds=1800)
        session = Session(token="tok", username="li", role="bureau_clerk", last_seen=1000)
        loaded, why = codec.load(codec.dump(session), now=1500)
        assert why == ""
        assert loaded == session

    def test_tampered_cookie_is_no_session(self):
        codec = SessionCodec(SECRET, idle_seconds=1800)
        value = codec.dump(Session(token="tok", role="bureau_clerk", last_seen=1000))
        payload, signature = value.split(".")
        forged = codec.dump(Session(token="tok", role="admin", last_seen=1000)).split(".")[0]
        assert codec.load(f"{forged}.{signature}", now=1000) == (None, "invalid")
        assert codec.load(payload, now=1000) == (None, "invalid")
        assert codec.load("not a cookie", now=1000) == (None, "invalid")
        assert codec.load(None, now=1000) == (None, "missing")

    def test_signed_with_another_secret_is_no_session(self):
        value = SessionCodec(SECRET, 1800).dump(Session(last_seen=1000))
        assert SessionCodec(SECRET + "x", 1800).load(value, now=1000) == (None, "invalid")

    def test_idle_session_ends(self):
        codec = SessionCodec(SECRET, idle_seconds=1800)
        value = codec.dump(Session(token="tok", last_seen=1000))
        assert codec.load(value, now=2800)[1] == ""
        assert codec.load(value, now=2801) == (None, "idle")

    def test_the_login_tokens_expiry_does_not_end_a_session_in_use(self):
        # The token is renewed while the session is used (tests/console/test_session_renewal.py).
        codec = SessionCodec(SECRET, idle_seconds=1800)
        value = codec.dump(
            Session(token="tok", token_expires=1900, last_seen=1000, signed_in_ms=1_000_000)
        )
        assert codec.load(value, now=1900)[1] == ""

    def test_session_ends_at_its_longest_lifetime(self):
        codec = SessionCodec(SECRET, idle_seconds=1800, max_seconds=3600)
        value = codec.dump(Session(token="tok", last_seen=4000, signed_in_ms=1_000_000))
        assert codec.load(value, now=4600)[1] == ""
        assert codec.load(value, now=4601) == (None, "expired")
        # A session cookie from before the login time was kept: ended.
        old = codec.dump(Session(token="tok", last_seen=4000))
        assert codec.load(old, now=4000) == (None, "expired")


class TestCsrf:
    def test_only_the_sessions_token_passes(self):
        session = Session()
        assert session.csrf_ok(session.csrf)
        assert not session.csrf_ok(None)
        assert not session.csrf_ok("")
        assert not session.csrf_ok(Session().csrf)

    def test_every_session_has_its_own_token(self):
        assert len({Session().csrf for _ in range(50)}) == 50


class TestLanguages:
    def test_chinese_by_default_english_on_request(self):
        assert choose_language(None, None, "zh") == "zh"
        assert choose_language("en", None, "zh") == "en"
        assert choose_language(None, "en", "zh") == "en"
        assert choose_language("zh", "en", "zh") == "zh"
        assert choose_language("fr", "xx", "zh") == "zh"

    def test_catalogue_compiled_from_the_po_file(self):
        zh = load_translations("zh")
        assert zh.gettext("Review queue") == "审核队列"
        assert load_translations("en").gettext("Review queue") == "Review queue"

    def test_every_string_of_the_console_is_translated(self, tmp_path):
        """Extracted afresh from the templates and code: a label added without its Chinese
        fails here."""
        pot_file = tmp_path / "messages.pot"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "pybabel"),
                "extract",
                "-F",
                "gateway/console/babel.cfg",
                "-k",
                "N_",
                "-o",
                str(pot_file),
                "--no-location",
                "gateway/console",
            ],
            capture_output=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        with pot_file.open("rb") as handle:
            wanted = {m.id for m in read_po(handle) if m.id}
        po = LOCALES_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as handle:
            catalogue = {m.id: m.string for m in read_po(handle) if m.id}
        untranslated = sorted(i for i in wanted if not catalogue.get(i))
        assert untranslated == []
        assert len(wanted) > 200

    def test_placeholders_survive_translation(self):
        po = LOCALES_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id and "%(" in message.id:
                    for name in ("%(name)s", "%(role)s", "%(n)d", "%(ok)d", "%(paid)d"):
                        assert (name in message.id) == (name in message.string), message.id


class TestProblems:
    zh = load_translations("zh").gettext

    def test_maker_checker_in_plain_chinese(self):
        problem = Problem.from_body(
            403,
            {
                "type": "urn:eastwest:problem:maker-checker",
                "detail": "You verified this application; another approver must approve it.",
                "status": 403,
            },
        )
        assert problem.code == "maker-checker"
        assert "双人复核" in problem.message(self.zh)
        assert "另一位经办人导出" in problem.message(self.zh, "export")

    def test_unmapped_code_falls_back_to_the_english_detail(self):
        problem = Problem.from_body(409, {"type": "urn:eastwest:problem:new-rule", "detail": "X."})
        assert problem.message(self.zh) == "X."

    def test_objection_refusals_in_plain_chinese(self):
        over = Problem.from_body(
            409, {"type": "urn:eastwest:problem:notice-over", "detail": "The notice ... is over"}
        )
        assert "公示期已结束" in over.message(self.zh, "object")
        many = Problem.from_body(429, {"type": "urn:eastwest:problem:too-many-objections"})
        assert "异议过多" in many.message(self.zh, "object")
        gone = Problem.from_body(404, {"type": "urn:eastwest:problem:not-found"})
        assert "已不在公示中" in gone.message(self.zh, "object")
        assert "不存在" in gone.message(self.zh)  # elsewhere, as before

    def test_a_gbk_refusal_names_the_other_encodings(self):
        problem = Problem.from_body(422, {"type": "urn:eastwest:problem:batch-content"})
        assert "GB18030" in problem.message(self.zh, "export")

    def test_every_mapped_message_is_translated(self):
        for text in MESSAGES.values():
            assert self.zh(text) != text, text

    def test_bulk_refusals_in_words(self):
        assert "双人复核" in bulk_message(self.zh, "approve", 403, "You created this ...")
        assert "资金余额不足" in bulk_message(
            self.zh, "approve", 409, "Fund 'a' has 1 fen left, less than the 2 fen ..."
        )
        assert "状态" in bulk_message(
            self.zh, "verify", 409, "Cannot verify an application that is verified; ..."
        )


class TestFormatting:
    def test_yuan_exact(self):
        assert formatting.yuan(500_012) == "5,000.12"
        assert formatting.yuan(5) == "0.05"
        assert formatting.yuan(-150) == "-1.50"
        assert formatting.yuan(10**15 + 1) == "10,000,000,000,000.01"
        assert str(formatting.yuan_decimal(500_012)) == "5000.12"

    def test_rates_exact(self):
        assert formatting.percent(1, 3) == "33.33%"
        assert formatting.percent(2, 3) == "66.67%"
        assert formatting.percent(1, 0) == ""
        assert formatting.basis_points(10_000) == "100.00%"
        assert formatting.basis_points(1234) == "12.34%"

    def test_china_time(self):
        assert formatting.china_time("2026-12-31T16:30:00Z") == "2027-01-01 00:30"
        assert formatting.china_time(None) == ""
