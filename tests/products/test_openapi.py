"""The service's OpenAPI document: every operation documented, the batch's two formats."""


class TestOpenApi:
    async def test_operations_documented(self, products):
        spec = products.app.openapi()
        ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
        assert {
            "reportSale",
            "uploadSalesBatch",
            "correctSale",
            "closeDay",
            "getStatistics",
            "traceSale",
            "createProduct",
            "createStore",
            "createSupplier",
        } <= ops
        batch = spec["paths"]["/v1/products/stores/me/sales:batch"]["post"]
        assert set(batch["requestBody"]["content"]) == {"application/x-ndjson", "text/csv"}
