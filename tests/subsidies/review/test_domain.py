"""The application lifecycle table (review/domain.py), without a database."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.subsidies.errors import InvalidTransition, MakerChecker
from services.subsidies.review.domain import (
    TRANSITIONS,
    AppState,
    Facts,
    check,
    notice_end,
    render_table,
)

NOW = datetime(2020, 6, 1, tzinfo=UTC)
README = Path(__file__).parents[3] / "services" / "subsidies" / "README.md"

states = st.sampled_from(list(AppState))
actions = st.sampled_from(sorted(TRANSITIONS))


class TestCheck:
    @given(action=actions, state=states)
    def test_result_state_only_from_allowed_states(self, action: str, state: AppState) -> None:
        facts = Facts(state=state.value, actor="approver", now=NOW, created_by="clerk")
        allowed = TRANSITIONS[action].from_states
        if state in allowed:
            assert check(action, facts) == TRANSITIONS[action].to_state
        else:
            with pytest.raises(InvalidTransition) as refused:
                check(action, facts)
            assert refused.value.extensions["state"] == state.value
            for s in allowed:
                assert s.value in refused.value.detail

    @given(state=states)
    def test_paid_rejected_cancelled_are_final(self, state: AppState) -> None:
        finals = {AppState.paid, AppState.rejected, AppState.cancelled}
        for action, transition in TRANSITIONS.items():
            assert not finals & set(transition.from_states), action

    def test_every_state_is_reachable_from_pending(self) -> None:
        reached = {AppState.pending_verification}
        while True:
            more = {t.to_state for t in TRANSITIONS.values() if reached & set(t.from_states)}
            if more <= reached:
                break
            reached |= more
        assert reached == set(AppState)

    @pytest.mark.parametrize("who", ["creator", "verifier"])
    def test_approver_is_not_creator_or_verifier(self, who: str) -> None:
        facts = Facts(
            state="verified", actor=who, now=NOW, created_by="creator", verified_by="verifier"
        )
        with pytest.raises(MakerChecker):
            check("approve", facts)

    def test_objection_only_while_notice_runs(self) -> None:
        running = Facts(state="in_notice", actor="c", now=NOW, notice_ends_at=NOW + timedelta(1))
        assert check("object", running) == AppState.pending_verification
        ended = Facts(state="in_notice", actor="c", now=NOW, notice_ends_at=NOW)
        with pytest.raises(InvalidTransition) as refused:
            check("object", ended)
        assert "past its notice period" in refused.value.detail

    def test_approve_again_names_the_approver(self) -> None:
        facts = Facts(state="in_notice", actor="b", now=NOW, approved_by="a")
        with pytest.raises(InvalidTransition) as refused:
            check("approve", facts)
        assert "already approved by a" in refused.value.detail


def test_readme_shows_the_table() -> None:
    assert render_table() in README.read_text(encoding="utf-8")


class TestNoticeEnd:
    def test_notice_lasts_the_programs_days_from_approval(self) -> None:
        assert notice_end(NOW, 5) == NOW + timedelta(days=5)

    def test_no_notice_days_means_no_notice(self) -> None:
        assert notice_end(NOW, 0) is None
