"""Domain errors of the products service."""

from datetime import date

from shared.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable


class SupplierNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("supplier", ident)


class ProductNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("product", ident)


class StoreNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("store", ident)


class SaleNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("sale", ident)


class SkuTaken(Conflict):
    code, title = "sku-taken", "SKU already in the catalogue"

    def __init__(self, sku: str) -> None:
        super().__init__(f"A product with SKU {sku!r} already exists; SKUs are unique.", sku=sku)


class SupplierArchived(Unprocessable):
    code, title = "supplier-archived", "Supplier archived"

    def __init__(self) -> None:
        super().__init__("The supplier is archived; new products cannot be added to it.")


class NotAStore(Forbidden):
    code, title = "not-a-store", "Credential not bound to a store"

    def __init__(self) -> None:
        super().__init__(
            "This credential is not bound to a known store; ask an administrator "
            "to create the store's API key again."
        )


class StoreArchived(Forbidden):
    code, title = "store-archived", "Store archived"

    def __init__(self) -> None:
        super().__init__("This store is archived and cannot report sales or close days.")


class SaleRejected(Unprocessable):
    """A sale that breaks a rule; ``code`` says which and ``line`` which line, where one applies."""

    code, title = "sale-rejected", "Sale rejected"

    def __init__(self, reason_code: str, detail: str, *, line: int | None = None) -> None:
        extra = {"line": line} if line is not None else {}
        super().__init__(detail, reason=reason_code, **extra)
        self.reason_code = reason_code
        self.line = line


class DuplicateReceipt(Conflict):
    code, title = "duplicate-receipt", "Receipt number already recorded"

    def __init__(self, receipt_number: str) -> None:
        super().__init__(
            f"Receipt {receipt_number!r} is already recorded for this store. "
            "Resend with the same Idempotency-Key to get the first response, or "
            "correct the recorded sale.",
            receipt_number=receipt_number,
        )


class DayClosed(Conflict):
    code, title = "day-closed", "Business day closed"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"The business day {day.isoformat()} is closed for this store; it takes "
            "only corrections of sales already recorded.",
            business_date=day.isoformat(),
        )


class DayAlreadyClosed(Conflict):
    code, title = "day-already-closed", "Business day already closed"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"The business day {day.isoformat()} was already closed.", business_date=day.isoformat()
        )


class DayInFuture(Unprocessable):
    code, title = "day-in-future", "Business day not yet begun"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"The business day {day.isoformat()} has not begun in China time; a day "
            "can be closed from its start.",
            business_date=day.isoformat(),
        )


class DayBeforeRecords(Unprocessable):
    code, title = "day-before-records", "Business day before any sale"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"The business day {day.isoformat()} is before 2000-01-01, the earliest a sale "
            "can be reported, so there is nothing to close; check the date.",
            business_date=day.isoformat(),
        )


class SaleVoided(Conflict):
    code, title = "sale-voided", "Sale already voided"

    def __init__(self) -> None:
        super().__init__("This sale was voided; a voided sale cannot be corrected again.")


class NotAnOriginalSale(Unprocessable):
    code, title = "not-an-original-sale", "Not an original sale"

    def __init__(self) -> None:
        super().__init__(
            "Corrections refer to the original sale, not to another correction; "
            "use the original sale's id."
        )


class BatchTooLarge(PayloadTooLarge):
    code, title = "batch-too-large", "Batch too large"

    def __init__(self, detail: str, *, line: int | None = None) -> None:
        extra = {"line": line} if line is not None else {}
        super().__init__(detail, **extra)


class BatchUnreadable(Unprocessable):
    code, title = "batch-unreadable", "Batch cannot be read"

    def __init__(self, detail: str, *, line: int | None = None) -> None:
        extra = {"line": line} if line is not None else {}
        super().__init__(detail, **extra)


class UnsupportedMediaType(Unprocessable):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"
