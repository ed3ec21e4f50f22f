"""Funds (allocated, reserved, paid, usage rate) and programs with their rule versions."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.formatting import basis_points
from gateway.console.web import ROOT, Page, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)


async def _funds(web: Web) -> list[dict[str, Any]]:
    stats = await web.api.get("/v1/subsidies/statistics")
    funds: list[dict[str, Any]] = stats["funds"]
    return funds


@router.get("/funds")
async def funds_page(web: Page) -> Response:
    funds = await _funds(web)
    programs, _ = await web.api.everything("/v1/subsidies/programs", {})
    return web.render("funds.html", funds=funds, programs=programs)


@router.get("/funds.xlsx")
async def funds_export(web: Page) -> Response:
    funds = await _funds(web)
    columns = [
        Column(web._("Code")),
        Column(web._("Fund")),
        Column(web._("Allocated (yuan)"), "fen"),
        Column(web._("Reserved (yuan)"), "fen"),
        Column(web._("Paid (yuan)"), "fen"),
        Column(web._("Available (yuan)"), "fen"),
        Column(web._("Usage rate (paid / allocated)")),
        Column(web._("Committed (reserved + paid) / allocated")),
    ]
    rows = [
        [
            f["code"],
            f["name"],
            f["budget_fen"],
            f["reserved_fen"],
            f["paid_fen"],
            f["available_fen"],
            basis_points(f["usage_basis_points"]),
            basis_points(f["committed_basis_points"]),
        ]
        for f in funds
    ]
    return xlsx_response(f"{web._('Funds')}.xlsx", workbook(web._("Funds"), columns, rows))


@router.get("/programs.xlsx")
async def programs_export(web: Page) -> Response:
    programs, _ = await web.api.everything("/v1/subsidies/programs", {})
    columns = [
        Column(web._("Code")),
        Column(web._("Program")),
        Column(web._("Rule version"), "int"),
        Column(web._("Amount rule")),
        Column(web._("Amount (yuan)"), "fen"),
        Column(web._("Required months"), "int"),
        Column(web._("Notice days"), "int"),
        Column(web._("Valid from")),
        Column(web._("Valid until")),
    ]
    rows = [
        [
            p["code"],
            p["name"],
            p["version"],
            p["amount_rule"],
            p["amount_fen"],
            p["required_months"],
            p["notice_days"],
            p["valid_from"],
            p.get("valid_until") or "",
        ]
        for p in programs
    ]
    return xlsx_response(f"{web._('Programs')}.xlsx", workbook(web._("Programs"), columns, rows))


@router.get("/programs/{code}")
async def program_page(code: str, web: Page) -> Response:
    versions = await web.api.get(f"/v1/subsidies/programs/{code}/versions")
    return web.render("program.html", code=code, versions=versions)
