"""The bench's pure helpers: percentiles, summaries over runs, ratios within a run, verdicts and
the rendered table (the bench itself is `make bench`, never part of the suite)."""

from tests.bench.load import _lua, percentile
from tests.bench.profile import package_of, summarise
from tests.bench.report import Row, at, difference, over_runs, ratio, spread, table, verdict
from tests.bench.summary import rows


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7
    assert percentile([], 50) == 0
    assert percentile([3.0, 1.0, 2.0], 50) == 2  # unsorted input


def test_spread_is_median_with_min_and_max() -> None:
    s = spread([30.0, 10.0, 20.0])
    assert s is not None and (s.median, s.low, s.high, s.n) == (20, 10, 30, 3)
    assert s.show(0, " ms") == "20 ms (10–30)"
    assert spread([]) is None


def test_ratios_are_taken_within_each_run_then_summarised() -> None:
    runs = [
        {"sale": {"gateway": {"per_second": 100}, "bare": {"per_second": 1000}}},
        {"sale": {"gateway": {"per_second": 300}, "bare": {"per_second": 1000}}},
        {"sale": {"gateway": {"per_second": 200}, "bare": {"per_second": 200}}},
    ]
    r = over_runs(runs, ratio("sale.gateway.per_second", "sale.bare.per_second"))
    assert r is not None and (r.median, r.low, r.high) == (0.3, 0.1, 1.0)
    d = over_runs(runs, difference("sale.gateway.per_second", "sale.bare.per_second"))
    assert d is not None and d.median == -700
    assert over_runs(runs, at("sale.nothing.per_second")) is None


def test_verdicts_judge_the_median() -> None:
    assert verdict(spread([0.4, 0.6, 0.7]), lambda x: x >= 0.5) == "met"
    assert verdict(spread([0.4, 0.45, 0.7]), lambda x: x >= 0.5) == "**not met**"
    assert verdict(None, lambda x: True) == "not measured"


def test_table_renders_markdown_rows() -> None:
    text = table([Row("sale", "10 req/s", "100 req/s", "0.10×", "≥ 0.5×", "**not met**")])
    assert text.splitlines()[2] == "| sale | 10 req/s | 100 req/s | 0.10× | ≥ 0.5× | **not met** |"


def test_summary_of_a_partial_run_marks_what_is_missing() -> None:
    run = {"sale": {"gateway": {"per_second": 50.0, "p50_ms": 9.0, "p99_ms": 30.0}}}
    rendered = rows([run])
    first = rendered[0]
    assert first.platform.startswith("50 req/s") and first.status == "not measured"
    assert all(r.status in ("", "met", "**not met**", "not measured") for r in rendered)


def test_lua_literals_escape_strings() -> None:
    assert _lua({"a": [1, 'x"y'], "b": True}) == '{["a"] = {1, "x\\"y"}, ["b"] = true}'


def test_profile_summary_counts_self_time_by_package() -> None:
    site = "/v/lib/python3.11/site-packages"
    folded = (
        f"main (run.py:1);execute ({site}/sqlalchemy/engine/base.py:10) 30\n"
        f"main (run.py:1);fetch ({site}/asyncpg/connection.py:5) 10\n"
        "main (run.py:1);record (/w/services/products/sales/service.py:9) 10\n"
        "main (run.py:1);select (/usr/lib/python3.11/selectors.py:3) 50\n"
    )
    assert summarise(folded) == {
        "stdlib": 50.0,
        "sqlalchemy": 30.0,
        "asyncpg": 10.0,
        "services (ours)": 10.0,
    }
    assert package_of(f"f ({site}/uvloop/__init__.py:2)") == "uvloop"
    # py-spy's own short form: the path under sys.path.
    assert package_of("execute (sqlalchemy/engine/base.py:1)") == "sqlalchemy"
    assert package_of("lock (services/products/days/service.py:29)") == "services (ours)"
    assert package_of("run (<frozen runpy>:88)") == "stdlib"
