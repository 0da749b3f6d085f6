"""The state table in docs/architecture.md is the code's: the document's copy is rendered from
backend/payments/order_states.py, every transition it lists is one the guard lets through, every other is refused,
and no code changes an order's status except through that guard."""

from __future__ import annotations

import itertools
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest

from backend.payments import order_states
from backend.payments.order_states import (
    CANCELLED,
    EXPIRED,
    NEW,
    ORDER_STATUSES,
    PAID,
    PENDING,
    REFUNDED,
    TRANSITIONS,
    TransitionRefused,
    move,
)
from backend.payments.transactions import lock_order, write_transaction
from backend.settings import PROJECT_ROOT
from backend.timeutil import utcnow
from db.tables import Order, Profile
from tests.support.data import create_show

pytestmark = pytest.mark.usefixtures("server")  # the server applied the migrations to the suite's database

DOC = PROJECT_ROOT / "docs" / "architecture.md"
START, END = "<!-- lifecycle-table:start -->\n", "<!-- lifecycle-table:end -->"


def _documented_table() -> str:
    text = DOC.read_text()
    return text[text.index(START) + len(START):text.index(END)]


def test_the_document_carries_the_code_s_table() -> None:
    assert _documented_table() == order_states.render_markdown(), (
        "docs/architecture.md's lifecycle table differs from backend/payments/order_states.py: "
        "paste the output of `python -m backend.payments.order_states` between the lifecycle-table markers")


def test_every_documented_transition_names_known_statuses() -> None:
    rows = [line for line in _documented_table().splitlines() if line.startswith("| ") and "`" in line]
    documented = set()
    for line in rows[:len(TRANSITIONS)]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        sources = re.findall(r"`([^`]+)`", cells[1])
        (target,) = re.findall(r"`([^`]+)`", cells[2])
        assert set(sources) <= {NEW, *ORDER_STATUSES} and target in ORDER_STATUSES, line
        documented |= {(source, target) for source in sources}
    in_code = {(source, row.target) for row in TRANSITIONS for source in row.source}
    assert documented == in_code


async def _order_in(status: str) -> dict:
    show = await create_show(rows=1, seats_per_row=1)
    profile = (await Profile.insert(Profile(email=f"table-{secrets.token_hex(6)}@example.com", name="Table",
                                            password_hash="!")).returning(Profile.id))[0]["id"]
    order_id = (await Order.insert(Order(
        profile=profile, show=show.id, hold_id=f"table-{secrets.token_hex(8)}", status=status, amount_cents=100,
        currency="EUR", expires_at=utcnow() + timedelta(minutes=5),
    )).returning(Order.id))[0]["id"]
    return {"id": order_id}


async def _try(status: str, target: str) -> str:
    order = await _order_in(status)
    async with write_transaction():
        row = await lock_order(order["id"])
        assert row is not None
        await move(row, target, utcnow())
    return (await Order.select(Order.status).where(Order.id == order["id"]).first())["status"]


def test_the_rule_reads_the_table_s_rows_and_keeps_the_promises() -> None:
    in_table = {(source, row.target) for row in TRANSITIONS for source in row.source}
    for source, target in itertools.product((NEW, *ORDER_STATUSES), ORDER_STATUSES):
        assert order_states.allowed(source, target) is ((source, target) in in_table), (source, target)
    # Money's promises, spelled out: paid is never unpaid again, and a refund is final.
    assert order_states.allowed(NEW, PENDING) and order_states.allowed(PENDING, PAID)
    assert not any(order_states.allowed(PAID, target) for target in (PENDING, EXPIRED, CANCELLED))
    assert [target for target in ORDER_STATUSES if order_states.allowed(REFUNDED, target)] == [REFUNDED]


def test_the_table_is_printed_by_its_module_and_only_when_run() -> None:
    command = [sys.executable, "-c", "import backend.payments.order_states"]
    imported = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert imported.stdout == ""
    run = subprocess.run([sys.executable, "-m", "backend.payments.order_states"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True)
    assert run.stdout == order_states.render_markdown()


async def test_the_guard_allows_exactly_the_table_s_transitions() -> None:
    for source, target in itertools.product(ORDER_STATUSES, ORDER_STATUSES):
        if order_states.allowed(source, target):
            assert await _try(source, target) == target, (source, target)
        else:
            with pytest.raises(TransitionRefused):
                await _try(source, target)


def test_no_code_changes_an_order_s_status_around_the_guard() -> None:
    writers = []
    for path in (PROJECT_ROOT / "backend").rglob("*.py"):
        if path.name != "order_states.py" and re.search(r"Order\.status\s*:", path.read_text()):
            writers.append(str(path.relative_to(PROJECT_ROOT)))
    assert writers == [], f"these write orders.status without order_states.move: {writers}"
