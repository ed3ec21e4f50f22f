"""Phase 1, the administrator: staff accounts, employers and their API keys, funds and programs,
suppliers, products, stores and their API keys. Everything through the gateway."""

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from deploy.demo.client import Actor, Api, Bar
from deploy.demo.scenario import Plan

CLERKS = 6  # the gateway limits each credential's rate: the bureau's work is shared out


@dataclass
class World:
    tag: str
    admin: Actor
    clerks: list[Actor] = field(default_factory=list)
    payee_clerk: Actor | None = None  # registers bank accounts; never exports a batch
    approver: Actor | None = None
    auditor: Actor | None = None
    employers: dict[str, list[str]] = field(default_factory=dict)  # pool -> ids
    partner_keys: list[Actor] = field(default_factory=list)
    postings: list[tuple[int, str]] = field(default_factory=list)  # (partner index, id)
    funds: dict[str, str] = field(default_factory=dict)  # program code -> fund id
    programs: dict[str, str] = field(default_factory=dict)  # scenario code -> platform code
    stores: list[tuple[str, Actor, bool]] = field(default_factory=list)  # id, key, sells
    workers: list[str] = field(default_factory=list)
    placements: list[str] = field(default_factory=list)
    holders: dict[str, str] = field(default_factory=dict)  # beneficiary id -> account holder

    def clerk(self, n: int) -> Actor:
        return self.clerks[n % len(self.clerks)]


async def _user(api: Api, world: World, username: str, role: str) -> Actor:
    password = secrets.token_urlsafe(18)
    await api.call(
        world.admin,
        "POST",
        "/v1/admin/users",
        json={"username": f"{username}-{world.tag}", "password": password, "role": role},
    )
    return await api.login(username, f"{username}-{world.tag}", password)


async def _key(api: Api, world: World, name: str, role: str, subject_id: str) -> Actor:
    body = await api.json(
        world.admin,
        "POST",
        "/v1/admin/api-keys",
        json={"name": f"{name} {world.tag}", "role": role, "subject_id": subject_id},
    )
    return Actor(name, token=body["key"])


async def staff(api: Api, world: World) -> None:
    world.clerks = [await _user(api, world, f"clerk{i + 1}", "bureau_clerk") for i in range(CLERKS)]
    world.payee_clerk = await _user(api, world, "clerk-accounts", "bureau_clerk")
    world.approver = await _user(api, world, "approver", "bureau_approver")
    world.auditor = await _user(api, world, "leader", "auditor")


async def organisations(api: Api, world: World, plan: Plan) -> None:
    """Employers (partners get an API key each), funds and programs."""
    bar = Bar("employers, funds, programs", sum(map(len, plan.employers.values())))
    locations = {"haizhu_partner": "海珠区", "workshop": "瓮安县", "dedicated_post": "瓮安县"}
    for pool, names in plan.employers.items():
        ids = []
        for name in names:
            body = await api.json(
                world.admin,
                "POST",
                "/v1/jobs/employers",
                json={"kind": pool, "name": f"{name} ({world.tag})", "location": locations[pool]},
            )
            ids.append(body["id"])
            if pool == "haizhu_partner":
                world.partner_keys.append(await _key(api, world, name, "partner", body["id"]))
            bar.advance()
        world.employers[pool] = ids
    first = date.fromisoformat(plan.months[0] + "-01")
    for prog in plan.programs:
        code = f"{prog.code}-{world.tag}"
        fund = await api.json(
            world.admin,
            "POST",
            "/v1/subsidies/funds",
            json={"code": code, "name": f"{prog.name} 资金", "budget_fen": prog.paid_fen},
        )
        body = {
            "code": code,
            "name": prog.name,
            "fund_id": fund["id"],
            "employer_kind": prog.employer_kind,
            "beneficiary_kind": prog.beneficiary_kind,
            "amount_rule": prog.amount_rule,
            "amount_fen": prog.amount_fen,
            "required_months": prog.required_months,
            "poor_only": True,
            "notice_days": prog.notice_days,
            "valid_from": first.isoformat(),
        }
        if prog.cap_per_beneficiary_fen:
            body["cap_per_beneficiary_fen"] = prog.cap_per_beneficiary_fen
        await api.call(world.admin, "POST", "/v1/subsidies/programs", json=body)
        world.funds[prog.code], world.programs[prog.code] = fund["id"], code
    bar.finish()


async def catalogue(api: Api, world: World, plan: Plan) -> dict[str, str]:
    """A supplier per product category, the products (SKUs carry the run's tag), the stores
    with an API key each. Returns scenario SKU -> platform SKU."""
    bar = Bar("suppliers, products, stores", len(plan.products) + len(plan.stores))
    suppliers: dict[str, str] = {}
    skus = {}
    for n, product in enumerate(plan.products):
        if product.category not in suppliers:
            body = await api.json(
                world.admin,
                "POST",
                "/v1/products/suppliers",
                json={
                    "name": f"瓮安{product.category}合作社 ({world.tag})",
                    "kind": "cooperative",
                    "township": ("猴场镇", "岚关乡", "江界河镇")[n % 3],
                    "poor_households_linked": 120 + 37 * n,
                },
            )
            suppliers[product.category] = body["id"]
        sku = f"{product.sku}-{world.tag}"
        await api.call(
            world.admin,
            "POST",
            "/v1/products/catalogue",
            json={
                "sku": sku,
                "name": product.name,
                "category": product.category,
                "supplier_id": suppliers[product.category],
                "unit": "盒",
                "net_weight_grams": product.net_weight_grams,
                "list_price_fen": product.base_price_fen,
                "certification_number": f"GZXF-{n + 1:04d}",
            },
        )
        skus[product.sku] = sku
        bar.advance()
    for name, kind, sells in plan.stores:
        body = await api.json(
            world.admin,
            "POST",
            "/v1/products/stores",
            json={"name": f"{name} ({world.tag})", "kind": kind, "address": "广州市海珠区"},
        )
        world.stores.append((body["id"], await _key(api, world, name, "store", body["id"]), sells))
        bar.advance()
    bar.finish()
    return skus


def valid_through(today: date) -> str:
    return (today + timedelta(days=180)).isoformat()
