"""The fault harness's short run in the suite (RELIABILITY rows 1, 2, 10, 11 and the others it
exercises): the whole platform as processes on a private PostgreSQL, a workload through the
gateway while a service is killed at its consumer's fault point, the relay at its own, NATS is
stopped and killed, the gateway killed, connections reset and PostgreSQL restarted. Every write
must be ok, failed (told so, and absent) or unknown; none lost, none duplicated; every invariant
holds. ``make chaos`` is the long run."""

import pytest

from tests.chaos.run import SHORT_SCHEDULE, Options, render, run_harness

pytestmark = pytest.mark.timeout(600)


class TestShortRun:
    async def test_no_write_is_lost_or_duplicated_under_faults(self):
        outcome = await run_harness(
            Options(
                writes=0,
                schedule=SHORT_SCHEDULE,
                gap=2.0,
                stores=3,
                workers=60,
                more_workers=False,
            )
        )
        report = outcome.report
        print(render(outcome))
        assert report.classes["lost"] == 0, report.problems
        assert report.classes["duplicated"] == 0, report.problems
        assert report.problems == [], report.problems
        assert len(outcome.timeline) == len(SHORT_SCHEDULE)
        # The workload wrote every kind of write, and most were acknowledged.
        kinds = {op.kind for op in outcome.history.ops}
        assert {"sale", "batch_sale", "placement", "confirmation", "approval"} <= kinds
        assert report.classes["ok"] > 0.9 * outcome.history.writes()
