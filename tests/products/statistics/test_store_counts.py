"""The stores of the program counted whether or not they sold (PROGRAM.md: "7 flagship stores /
exhibition-and-sales centres"), in the bureau's statistics."""

from datetime import UTC, datetime, timedelta

from tests.products.factories import (
    admin,
    correct,
    create_product,
    create_store,
    create_supplier,
    report_sale,
    sale_body,
)

STATS = "/v1/products/statistics"


async def _stores(products, **params) -> dict:
    r = await products.client.get(STATS, params=params, headers=admin())
    assert r.status_code == 200, r.text
    return r.json()["stores"]


async def test_stores_count_whether_or_not_they_sold(products):
    before = await _stores(products)
    supplier = await create_supplier(products)
    product = await create_product(products, supplier_id=supplier["id"])
    selling = await create_store(products)
    silent = await create_store(products, kind="exhibition_centre")
    closed = await create_store(products)
    sold_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    await report_sale(products, selling["id"], sale_body(product["sku"], sold_at=sold_at))
    r = await products.client.post(f"/v1/products/stores/{closed['id']}/archive", headers=admin())
    assert r.status_code == 200, r.text

    after = await _stores(products)
    assert after["total"] == before["total"] + 3
    assert after["flagship_store"] == before["flagship_store"] + 2
    assert after["exhibition_centre"] == before["exhibition_centre"] + 1
    assert after["selling"] == before["selling"] + 1

    # One store at a time: the silent one counts, with nothing sold.
    assert await _stores(products, store_id=silent["id"]) == {
        "total": 1,
        "flagship_store": 0,
        "exhibition_centre": 1,
        "selling": 0,
    }
    china_today = (datetime.now(UTC) + timedelta(hours=8)).date()
    tomorrow = (china_today + timedelta(days=1)).isoformat()
    yesterday = (china_today - timedelta(days=1)).isoformat()
    # Archived today: not open tomorrow. Created today: not open yesterday.
    assert (await _stores(products, store_id=closed["id"], date_from=tomorrow))["total"] == 0
    assert (await _stores(products, store_id=silent["id"], date_from=tomorrow))["total"] == 1
    assert (await _stores(products, store_id=selling["id"], date_to=yesterday))["total"] == 0
    today = await _stores(
        products, store_id=selling["id"], date_from=china_today.isoformat(), date_to=tomorrow
    )
    assert today == {"total": 1, "flagship_store": 1, "exhibition_centre": 0, "selling": 1}


async def test_selling_stores_over_whole_and_partial_months(products):
    """'Selling' comes from the same parts as the sums (whole months from the monthly rollup,
    the partial ends from the daily one): each period below mixes them differently, and a store
    whose only sale was voided sells nothing in any of them."""
    product = await create_product(products)
    early, late, voided = [await create_store(products) for _ in range(3)]
    await report_sale(
        products, early["id"], sale_body(product["sku"], sold_at="2024-01-15T04:00:00Z")
    )
    await report_sale(
        products, late["id"], sale_body(product["sku"], sold_at="2024-03-31T04:00:00Z")
    )
    sale = await report_sale(
        products, voided["id"], sale_body(product["sku"], sold_at="2024-02-10T04:00:00Z")
    )
    r = await correct(products, voided["id"], sale["id"], {"kind": "void", "reason": "mistake"})
    assert r.status_code == 201, r.text
    expected = {
        ("2024-01-01", "2024-03-31"): 2,  # whole months only
        ("2024-01-15", "2024-03-31"): 2,  # a partial first month
        ("2024-01-16", "2024-03-30"): 0,  # partial ends that just miss both sales
        ("2024-01-15", "2024-02-29"): 1,
        ("2024-02-01", "2024-03-31"): 1,
        ("2024-03-31", "2024-03-31"): 1,  # one day
        ("2024-02-01", "2024-02-29"): 0,  # the voided store's month
        ("2023-12-20", "2024-04-10"): 2,  # partial ends around whole months
    }
    for (date_from, date_to), selling in expected.items():
        stores = await _stores(products, date_from=date_from, date_to=date_to)
        assert stores["selling"] == selling, (date_from, date_to, stores)
