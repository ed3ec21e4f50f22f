"""The pure rules of a correction: whatever the lines in force and the lines wanted, the delta
recorded brings the sale exactly to the wanted lines, in grams and fen as well as units."""

import uuid
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from services.products.sales.rules import delta_lines, net_lines

PRODUCTS = {
    pid: SimpleNamespace(id=pid, sku=f"SKU-{n}", net_weight_grams=weight)
    for n, (pid, weight) in enumerate(
        [(uuid.UUID(int=1), 250), (uuid.UUID(int=2), 500), (uuid.UUID(int=3), 1)]
    )
}
KEYS = st.tuples(st.sampled_from(sorted(PRODUCTS)), st.sampled_from([0, 100, 16800]))
QUANTITIES = st.dictionaries(KEYS, st.integers(min_value=1, max_value=100_000), max_size=6)


def as_lines(quantities: dict) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            product_id=pid,
            sku=PRODUCTS[pid].sku,
            unit_price_fen=price,
            quantity=q,
            grams=q * PRODUCTS[pid].net_weight_grams,
            fen=q * price,
        )
        for (pid, price), q in quantities.items()
    ]


class TestDeltaLines:
    @given(recorded=QUANTITIES, wanted=QUANTITIES)
    def test_in_force_plus_delta_is_what_was_wanted(self, recorded, wanted):
        current = net_lines([as_lines(recorded)])
        delta = delta_lines(current, wanted, PRODUCTS)
        after = net_lines([as_lines(recorded), [SimpleNamespace(**d) for d in delta]])
        assert after == net_lines([as_lines(wanted)])
        assert [d["line_no"] for d in delta] == list(range(1, len(delta) + 1))
        assert all(d["quantity"] != 0 for d in delta)

    @given(recorded=QUANTITIES)
    def test_a_void_negates_every_line_in_force(self, recorded):
        current = net_lines([as_lines(recorded)])
        delta = delta_lines(current, {}, PRODUCTS)
        assert sum(d["fen"] for d in delta) == -sum(v["fen"] for v in current.values())
        assert sum(d["grams"] for d in delta) == -sum(v["grams"] for v in current.values())
        assert len(delta) == len(current)
