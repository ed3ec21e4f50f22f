import types
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from gateway.routes import admin_router, auth_router
from services.jobs.routes import router as jobs_router
from services.products.app import routers as products_routers
from services.subsidies.api import router as subsidies_router
from shared.validation import as_written

# What a JSON body can carry that Pydantic's lax mode would have read as an integer.
NOT_JSON_INTEGERS = ["3", 3.0, 1e3, "100", 128.00, "-1"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    openings: int
    unit_price_fen: int | None = None
    housing: bool = False
    starts_on: date | None = None
    title: str = ""
    counts: list[int] = []
    code: int | str | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data):
        return as_written(cls, data)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"openings": True}, "openings"),
        ({"openings": 1, "housing": 1}, "housing"),
        ({"openings": 1, "housing": "yes"}, "housing"),
        ({"openings": 1, "starts_on": 0}, "starts_on"),
        ({"openings": 1, "title": "a\x00b"}, "NUL"),
    ],
)
def test_lax_conversions_are_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError, match=field):
        Body.model_validate(body)


@pytest.mark.parametrize("value", NOT_JSON_INTEGERS)
def test_integer_fields_take_only_json_integers(value):
    with pytest.raises(ValidationError, match="openings: must be a whole number written as a JSON"):
        Body.model_validate({"openings": value})
    with pytest.raises(ValidationError, match="unit_price_fen: must be a whole number of fen"):
        Body.model_validate({"openings": 1, "unit_price_fen": value})
    with pytest.raises(ValidationError, match=r"counts\[1\]: must be a whole number"):
        Body.model_validate({"openings": 1, "counts": [1, value]})


def test_the_same_integers_from_a_json_text_are_refused_too():
    # NDJSON batch lines are validated from JSON text, not from a parsed body.
    for text in ('"3"', "3.0", "1e3", "128.00"):
        with pytest.raises(ValidationError, match="openings: must be a whole number"):
            Body.model_validate_json(f'{{"openings": {text}}}')


def test_values_as_json_writes_them_pass():
    body = Body.model_validate(
        {
            "openings": 3,
            "unit_price_fen": 12800,
            "housing": True,
            "starts_on": "2026-03-01",
            "counts": [1, 2],
            "code": "A1",
        }
    )
    assert (body.openings, body.unit_price_fen, body.housing, body.starts_on) == (
        3,
        12800,
        True,
        date(2026, 3, 1),
    )
    assert (body.counts, body.code) == ([1, 2], "A1")
    assert Body.model_validate_json('{"openings": 3, "unit_price_fen": null}').openings == 3


# --- every request body of every service and of the gateway ------------------------------------

ROUTERS: dict[str, list[APIRouter]] = {
    "jobs": [jobs_router],
    "products": products_routers,
    "subsidies": [subsidies_router],
    "gateway": [auth_router, admin_router],
}


def _models(annotation: Any, found: dict[type[BaseModel], None]) -> None:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in get_args(annotation):
            _models(arg, found)
    elif (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and annotation not in found
    ):
        found[annotation] = None
        for field in annotation.model_fields.values():
            _models(field.annotation, found)


def _holds_int(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _holds_int(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_holds_int(a) for a in get_args(annotation))
    return annotation is int


def request_models(routers: list[APIRouter]) -> list[type[BaseModel]]:
    found: dict[type[BaseModel], None] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for param in route.dependant.body_params:
                    _models(param.field_info.annotation, found)
    return list(found)


INTEGER_FIELDS = [
    pytest.param(model, name, id=f"{service}.{model.__name__}.{name}")
    for service, routers in ROUTERS.items()
    for model in request_models(routers)
    for name, field in model.model_fields.items()
    if _holds_int(field.annotation)
]


def test_the_survey_finds_the_known_integer_fields():
    names = {p.id for p in INTEGER_FIELDS}
    assert {
        "jobs.PostingCreate.openings",
        "jobs.PostingUpdate.salary_min_fen",
        "jobs.PlacementCreate.monthly_wage_fen",
        "jobs.ConfirmationCreate.wage_paid_fen",
        "products.SaleLineIn.quantity",
        "products.SaleLineIn.unit_price_fen",
        "products.ProductCreate.net_weight_grams",
        "subsidies.FundCreate.budget_fen",
        "subsidies.ProgramCreate.amount_fen",
        "subsidies.NoteBody.expected_amount_fen",
    } <= names


@pytest.mark.parametrize(("model", "name"), INTEGER_FIELDS)
@pytest.mark.parametrize("value", NOT_JSON_INTEGERS)
def test_every_integer_field_of_every_request_body_takes_only_json_integers(model, name, value):
    with pytest.raises(ValidationError, match=f"{name}: must be a whole number"):
        model.model_validate({name: value})


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(m, id=f"{s}.{m.__name__}")
        for s, r in ROUTERS.items()
        for m in request_models(r)
    ],
)
def test_every_request_body_refuses_nul_as_the_shared_check_does(model):
    # The check runs before the fields are read, so any field name with a NUL shows it ran.
    with pytest.raises(ValidationError, match="NUL"):
        model.model_validate({"x": "a\x00b"})
