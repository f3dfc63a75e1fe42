"""A booking whose outcome was lost (the action server died or timed out after sending it) is checked
by its idempotency key before the citizen is told anything: never "technical error" for a booking that
went through (conversation/recovery.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from gateway.settings import GatewaySettings
from muni.keys import rasa_token
from tests.web.support import SECRET, ClientFactory, FakeRasa, conversation_log, error_of, say, start

CONFIRMED = [
    {"text": "Din tid til pas er bestilt: tirsdag 24/11 kl. 10.20. Bookingnummer SB-K7M2QX."},
    {"custom": {"muni": {"topic": "appointment_booking", "source": "booking", "handoff": False}}},
]


def tracker(*, mode: str | None = "new", hold: str | None = "H-1020", loop: str | None = None) -> dict[str, Any]:
    return {
        "slots": {"booking_mode": mode, "booking_hold": hold, "booking_name": "Anna Jensen"},
        "active_loop": {"name": loop} if loop else {},
    }


def action_server_died(rasa: FakeRasa) -> None:
    """Rasa drops the action's events when its action server dies and answers with nothing."""
    rasa.reply = lambda body: [] if body["message"] != "/greeting" else [{"text": "Hej"}]


async def test_a_booking_made_before_the_action_server_died_is_told_as_booked(
    make_client: ClientFactory, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, booking_recovery_s=10.0))
    conversation = await start(client)
    action_server_died(rasa)
    rasa.token = rasa_token(SECRET)
    rasa.tracker_state = tracker()
    rasa.execute_replies = [[], [], CONFIRMED]  # down, still starting, then the repeat finds the booking

    response = await say(client, conversation, text="anna@example.dk")

    assert response.status == 200, await response.text()
    body = await response.json()
    assert "SB-K7M2QX" in body["messages"][0]["text"]
    assert (body["topic"], body["source"]) == ("appointment_booking", "booking")
    assert [action for _, action, _ in rasa.executed] == ["action_finish_booking"] * 3
    assert {token for _, _, token in rasa.executed} == {rasa_token(SECRET)}
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    assert "SB-K7M2QX" in turns[-1].text and turns[-1].source == "booking"


async def test_a_booking_that_cannot_be_checked_in_time_is_not_told_as_failed(
    make_client: ClientFactory, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, booking_recovery_s=1.5))
    conversation = await start(client)
    action_server_died(rasa)
    rasa.tracker_state = tracker(mode="move")

    response = await say(client, conversation, text="ja")

    assert response.status == 503
    text = (await error_of(response))["message"]
    assert text.startswith("Jeg kunne ikke nå at tjekke, om din tid blev bestilt. Bestil ikke igen")
    assert len(rasa.executed) >= 1


async def test_a_turn_without_a_pending_booking_is_not_repeated(
    make_client: ClientFactory, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, booking_recovery_s=10.0))
    conversation = await start(client)
    action_server_died(rasa)
    for state in (tracker(loop="booking_form"), tracker(hold=None), tracker(mode="cancel"), None):
        rasa.tracker_state = state
        response = await say(client, conversation, text="Anna Jensen")
        assert response.status == 503
        assert "Bestil ikke igen" not in (await error_of(response))["message"]
    assert rasa.executed == [], "only a confirm or move that was sent is finished again"


async def test_a_booking_that_finished_late_is_answered_from_the_tracker_never_booked_again(
    make_client: ClientFactory, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    """The action server was slow, not dead: the gateway gave up waiting, the booking then finished."""
    client = await make_client(settings=dataclasses.replace(settings, booking_recovery_s=10.0))
    conversation = await start(client)
    action_server_died(rasa)
    rasa.tracker_state = tracker()

    def the_first_run_finished() -> None:
        # The repeat waited for the conversation's lock; the first run had reset the slots and said its piece.
        rasa.tracker_state = {
            **tracker(mode=None, hold=None),
            "events": [
                {"event": "user", "text": "[EMAIL]"},
                {"event": "bot", "text": CONFIRMED[0]["text"], "data": {}},
                {"event": "bot", "text": None, "data": {"custom": CONFIRMED[1]["custom"]}},
                {"event": "action", "name": "action_listen"},
            ],
        }

    rasa.on_execute = the_first_run_finished

    response = await say(client, conversation, text="anna@example.dk")

    assert response.status == 200, await response.text()
    body = await response.json()
    assert "SB-K7M2QX" in body["messages"][0]["text"] and body["source"] == "booking"
    assert len(rasa.executed) == 1 and rasa.tracker_queries == ["NONE", "AFTER_RESTART"]


async def test_rasa_down_in_the_middle_of_a_booking_is_not_told_as_a_plain_failure(
    make_client: ClientFactory, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    """Rasa killed mid-turn: the action server may have booked, and nobody can say; the citizen must not book twice."""
    client = await make_client(settings=dataclasses.replace(settings, booking_recovery_s=5.0))
    conversation = await start(client)
    rasa.reply = lambda body: [
        {"text": "Hvad er dit navn?"},
        {"custom": {"muni": {"topic": "appointment_booking", "source": "booking", "handoff": False}}},
    ]
    assert (await say(client, conversation, text="Jeg vil bestille tid til pas")).status == 200
    rasa.webhook_status = 502  # Rasa is gone; the tracker cannot be read either (no tracker: 404)

    response = await say(client, conversation, text="anna@example.dk")

    assert response.status == 503
    assert "Bestil ikke igen" in (await error_of(response))["message"]
    assert rasa.executed == []
