"""A restarted stand-in forgets nothing: objects, idempotency keys, pending and lost deliveries."""

# The SDK types every field as optional or expandable (str | Charge | None ...); these tests assert on
# the actual values, so mypy's narrowing demands are waived here.
# mypy: disable-error-code="union-attr, arg-type, index, typeddict-item, typeddict-unknown-key"

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from .conftest import REPO, Standin, WebhookReceiver, wait_until


def test_restart_keeps_objects_and_resumes_pending_deliveries(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    state_file = tmp_path / "var" / "stripe-standin.json"
    receiver.fail_everything = True  # the app is down: every delivery fails
    first = launch(state_file, receiver.url)
    client = first.client()

    key = str(uuid.uuid4())
    params = {"amount": 1800, "currency": "eur", "metadata": {"order_id": "ord_restart"}}
    intent = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    card = {"number": "4242 4242 4242 4242", "exp_month": 11, "exp_year": 2033, "cvc": "314"}
    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method_data": {"type": "card", "card": card}})
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 800})
    first.set_webhooks(False)
    lost = client.v1.payment_intents.create(params={"amount": 900, "currency": "eur"})
    first.set_webhooks(True)

    wait_until(lambda: len(receiver.attempts(intent.id)) >= 3, what="failed first attempts")
    assert receiver.accepted(intent.id) == []
    assert first.stop() == 0  # SIGTERM: a clean exit

    state = state_file.read_text()
    assert "4242424242424242" not in state and "4242 4242 4242 4242" not in state
    assert '"314"' not in state
    pending = [d for d in json.loads(state)["deliveries"].values() if d["status"] == "pending"]
    assert len(pending) == 4  # created, succeeded, charge.refunded, refund.created

    receiver.fail_everything = False  # the app is back
    second = launch(state_file, receiver.url)
    client = second.client()

    again = client.v1.payment_intents.retrieve(intent.id)
    assert again.status == "succeeded" and again.latest_charge == paid.latest_charge
    assert client.v1.refunds.retrieve(refund.id).amount == 800
    assert client.v1.charges.retrieve(paid.latest_charge).amount_refunded == 800
    method = client.v1.payment_methods.retrieve(paid.payment_method)
    assert (method.card.last4, method.card.exp_month, method.card.exp_year) == ("4242", 11, 2033)
    replay = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    assert replay.id == intent.id

    for event_type in ("payment_intent.created", "payment_intent.succeeded", "charge.refunded", "refund.created"):
        receiver.wait_for(intent.id, event_type)
    time.sleep(0.3)
    assert receiver.attempts(lost.id) == []  # lost on purpose stays lost across restarts
    assert {item["delivery"]["status"] for item in second.events(payment_intent=lost.id)} == {"not_sent"}

    # Still a working Stripe after the restart.
    fresh = client.v1.payment_intents.create(params={"amount": 600, "currency": "eur"})
    assert client.v1.payment_intents.confirm(fresh.id, params={"payment_method": "pm_card_visa"}).status == "succeeded"
    receiver.wait_for(fresh.id, "payment_intent.succeeded")


def test_unreadable_state_file_refuses_to_start(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text("{not json")
    finished = subprocess.run(
        [sys.executable, "-m", "tools.stripe_standin", "--port", "1", "--state-file", str(state_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert finished.returncode == 2
    assert "cannot read the state file" in finished.stderr
    assert state_file.read_text() == "{not json"  # left for a human to look at


def test_a_killed_stand_in_forgets_nothing_it_answered(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    """SIGKILL right after the last answer: no clean stop, no snapshot written. Every change answered before it is
    back after the restart (replayed from the journal), and every event not yet delivered is delivered then."""
    state_file = tmp_path / "stripe-standin.json"
    receiver.fail_everything = True  # nothing delivered before the kill
    first = launch(state_file, receiver.url)
    client = first.client()
    paid = []
    for number in range(20):
        intent = client.v1.payment_intents.create(
            params={"amount": 1000 + number, "currency": "eur", "metadata": {"order_id": f"ord_{number}"}},
            options={"idempotency_key": f"kill-{number}"},
        )
        paid.append(client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"}))
    refund = client.v1.refunds.create(params={"payment_intent": paid[0].id, "amount": 300})
    changed = client.v1.payment_intents.update(paid[1].id, params={"metadata": {"note": "after payment"}})
    events_before = {item["id"]: item["type"] for item in first.events()}
    first.kill()
    assert not state_file.exists() or b"note" not in state_file.read_bytes()  # it was only in the journal

    receiver.fail_everything = False
    second = launch(state_file, receiver.url)
    client = second.client()
    for number, intent in enumerate(paid):
        again = client.v1.payment_intents.retrieve(intent.id)
        assert (again.status, again.amount, again.latest_charge) == ("succeeded", 1000 + number, intent.latest_charge)
        replay = client.v1.payment_intents.create(
            params={"amount": 1000 + number, "currency": "eur", "metadata": {"order_id": f"ord_{number}"}},
            options={"idempotency_key": f"kill-{number}"},
        )
        assert replay.id == intent.id  # the idempotency record survived too
    assert client.v1.payment_intents.retrieve(paid[1].id).metadata.to_dict() == changed.metadata.to_dict()
    assert client.v1.refunds.retrieve(refund.id).amount == 300
    assert client.v1.charges.retrieve(paid[0].latest_charge).amount_refunded == 300
    assert {item["id"]: item["type"] for item in second.events()} == events_before
    for intent in paid:
        receiver.wait_for(intent.id, "payment_intent.succeeded")
    receiver.wait_for(paid[0].id, "refund.created")


def test_each_answer_is_on_disk_before_it_is_sent(launch: Callable[..., Standin], tmp_path: Path) -> None:
    """No webhook endpoint, so nothing but the API writes: a change answered just before SIGKILL survives it."""
    state_file = tmp_path / "stripe-standin.json"
    first = launch(state_file, "")
    client = first.client()
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    client.v1.payment_intents.update(intent.id, params={"metadata": {"last": "word"}})
    first.kill()

    second = launch(state_file, "")
    again = second.client().v1.payment_intents.retrieve(intent.id)
    assert again.status == "succeeded" and again.metadata.to_dict() == {"last": "word"}
