"""Phase 3, subsidies: wait for the grants the events make, bank accounts, review (bulk verify
by clerks, bulk approve by the approver), payment batches, a simulated bank that fails a few
lines, the failed ones paid again to corrected accounts, results reconciled."""

import asyncio
import csv
import io
import random
import time

from deploy.demo import people, report
from deploy.demo.client import Api, Bar, DemoError, each
from deploy.demo.scenario import Plan
from deploy.demo.setup import World


async def grants(api: Api, world: World, plan: Plan, stall_s: float = 300) -> None:
    """Until every program's live applications amount to its target (the events are consumed
    asynchronously by the subsidies service, which may take minutes after a large run); gives
    up only when the amount has not grown for ``stall_s``."""
    goal = sum(p.paid_fen for p in plan.programs)
    bar = Bar("subsidy grants from events", goal // 100)
    seen, since = -1, time.monotonic()
    while True:
        amount = 0
        for prog in plan.programs:
            body = await api.json(
                world.auditor,
                "GET",
                "/v1/subsidies/statistics",
                params={"program_code": world.programs[prog.code]},
            )
            amount += sum(row["amount_fen"] for row in body["rows"])
        bar.done = amount // 100
        bar.draw(force=True)
        if amount >= goal:
            break
        if amount != seen:
            seen, since = amount, time.monotonic()
        elif time.monotonic() - since > stall_s:
            raise DemoError(f"subsidy grants stopped at {amount} fen of {goal} for {stall_s:.0f} s")
        await asyncio.sleep(1.0)
    bar.finish()


async def payees(api: Api, world: World, plan: Plan, run: int) -> None:
    kinds = {p.employer_kind: p.beneficiary_kind for p in plan.programs}
    todo: list[tuple[str, str, str]] = []  # kind, id, holder
    for pool, ids in world.employers.items():
        if kinds.get(pool) in ("employer", "workshop"):
            todo += [(kinds[pool], i, plan.employers[pool][n]) for n, i in enumerate(ids)]
    if kinds.get("dedicated_post") == "worker":
        todo += [
            ("worker", world.workers[n], people.name(n))
            for n, p in enumerate(plan.placements)
            if p.pool == "dedicated_post"
        ]

    world.holders = {beneficiary: holder for _, beneficiary, holder in todo}

    async def register(item: tuple[int, tuple[str, str, str]]) -> None:
        n, (kind, beneficiary, holder) = item
        await api.call(
            world.payee_clerk,
            "POST",
            "/v1/subsidies/payees",
            json={
                "beneficiary_kind": kind,
                "beneficiary_id": beneficiary,
                "holder_name": holder,
                "account_number": people.account(run, n),
                "bank_name": "中国农业银行瓮安支行",
            },
        )

    await each("bank accounts (clerk)", list(enumerate(todo)), register)


async def _pending(api: Api, world: World, code: str, state: str) -> list[str]:
    ids, cursor = [], None
    while True:
        params = {"state": state, "program_code": code, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        body = await api.json(world.auditor, "GET", "/v1/subsidies/applications", params=params)
        ids += [a["id"] for a in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return ids


async def review(api: Api, world: World, plan: Plan) -> None:
    for step, state, actor in (
        ("bulk-verify", "pending_verification", world.clerks[0]),
        ("bulk-approve", "verified", world.approver),
    ):
        ids = []
        for prog in plan.programs:
            ids += await _pending(api, world, world.programs[prog.code], state)
        chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)]

        async def send(chunk: list[str], step: str = step, actor=actor) -> None:
            body = await api.json(
                actor,
                "POST",
                f"/v1/subsidies/applications/{step}",
                json={"application_ids": chunk, "note": "材料齐全，核实无误"},
            )
            refused = [r for r in body.get("results", []) if r.get("outcome") not in (None, "ok")]
            if refused:
                raise DemoError(f"{step}: {refused[:3]}")

        await each(f"review: {step}", chunks, send, weight=1)


async def pay(api: Api, world: World, plan: Plan, run: int) -> dict[str, int]:
    """A batch per fund; the bank fails ``plan.bank_failures`` lines, whose accounts are then
    replaced and paid in a new batch. Returns counts for the report."""
    rng = random.Random(plan.seed + 3)
    clerk = world.clerks[1]
    failed: list[tuple[str, str, str]] = []  # application, beneficiary kind, id
    counts = {"batches": 0, "lines": 0, "failed": 0}
    payable = [prog for prog in plan.programs if not prog.notice_days]
    bar = Bar("payment batches, bank", len(payable) + 1)
    for prog in payable:
        batch = await api.json(
            clerk,
            "POST",
            "/v1/subsidies/batches",
            key=f"batch-{world.tag}-{prog.code}",
            json={"fund_id": world.funds[prog.code]},
        )
        lines = await _export(api, clerk, batch["id"])
        fail = (
            set(rng.sample(range(len(lines)), min(plan.bank_failures, len(lines) - 1)))
            if lines
            else set()
        )
        await _bank(api, clerk, batch["id"], lines, fail)
        failed += [(lines[i]["reference"].removeprefix("SUB-"), "", "") for i in sorted(fail)]
        counts["batches"] += 1
        counts["lines"] += len(lines)
        counts["failed"] += len(fail)
        bar.advance()
    if failed:
        await _retry(api, world, clerk, [f[0] for f in failed], run)
        counts["batches"] += 1
    bar.finish()
    return counts


DISMISSAL = "经核实考勤和工资发放记录，该月在岗，异议不成立"


async def notice(api: Api, world: World, plan: Plan) -> list[str]:
    """The public notice (公示) of each program that has one: anyone reads the board without
    credentials, someone objects to one entry, a clerk looks into it and dismisses it (the
    entry stays on the board). Its days pass on the real clock: the program is paid after the
    run. Returns lines for the report."""
    out = []
    for prog in plan.programs:
        if not prog.notice_days:
            continue
        board = await report.notice_board(api, world.programs[prog.code])
        if not board:
            raise DemoError(f"program {prog.code}: nothing in public notice after approval")
        entry = board[0]
        receipt = await api.json(
            None,
            "POST",
            entry["objection_path"],
            json={"text": "此人本月未在岗，请核实。(演示：群众异议)"},
        )
        await api.call(
            world.clerks[0],
            "POST",
            f"/v1/subsidies/applications/{entry['application_id']}/objections/"
            f"{receipt['id']}/decision",
            json={
                "decision": "dismiss",
                "reason": "经核实考勤和工资发放记录，该月在岗，异议不成立",
            },
        )
        out.append(
            f"public notice of {prog.code}: {len(board)} entries, "
            f"{sum(e['amount_fen'] for e in board) / 100:,.2f} yuan, ends "
            f"{entry['notice_ends_at'][:10]}; one objection received and dismissed by a clerk; "
            "paid once the notice has run"
        )
    return out


async def _export(api: Api, clerk, batch_id: str) -> list[dict[str, str]]:
    r = await api.call(clerk, "POST", f"/v1/subsidies/batches/{batch_id}/export")
    *lines, _trailer = csv.DictReader(io.StringIO(r.text))
    return lines


async def _bank(
    api: Api, clerk, batch_id: str, lines: list[dict[str, str]], fail: set[int]
) -> None:
    """The simulated bank's result file: paid, or failed with a reason."""
    rows = ["line_id,status,amount_fen,bank_reference,reason"]
    for i, line in enumerate(lines):
        if i in fail:
            rows.append(f"{line['line_id']},failed,{line['amount_fen']},,账户已销户")
        else:
            ref = "BK" + "".join(chr(65 + (i // 26**k) % 26) for k in range(6))
            rows.append(f"{line['line_id']},paid,{line['amount_fen']},{ref},")
    await api.call(
        clerk,
        "POST",
        f"/v1/subsidies/batches/{batch_id}/results",
        content=("\r\n".join(rows) + "\r\n").encode(),
        headers={"Content-Type": "text/csv"},
    )


async def _retry(api: Api, world: World, clerk, applications: list[str], run: int) -> None:
    """The beneficiaries of failed lines give a new account in their own name (registered by
    the accounts clerk); a new batch pays those applications, and the bank pays them all."""
    for n, app_id in enumerate(applications):
        app = await api.json(world.auditor, "GET", f"/v1/subsidies/applications/{app_id}")
        await api.call(
            world.payee_clerk,
            "POST",
            "/v1/subsidies/payees",
            json={
                "beneficiary_kind": app["beneficiary_kind"],
                "beneficiary_id": app["beneficiary_id"],
                "holder_name": world.holders[app["beneficiary_id"]],
                "account_number": people.account(run, n, attempt=1),
                "bank_name": "中国农业银行瓮安支行",
            },
        )
    batch = await api.json(
        clerk,
        "POST",
        "/v1/subsidies/batches",
        key=f"retry-{world.tag}",
        json={"application_ids": applications},
    )
    lines = await _export(api, clerk, batch["id"])
    await _bank(api, clerk, batch["id"], lines, set())
