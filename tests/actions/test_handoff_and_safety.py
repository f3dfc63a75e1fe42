from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from actions.safety import ActionEmergency
from knowledge import ContactCentre
from tests.actions.conftest import CLOSED_NOW, OPEN_NOW, make_tracker, meta, texts


async def test_handoff_while_open_gives_the_phone_and_says_it_is_open(dispatcher: CollectingDispatcher) -> None:
    await ActionHandoff(clock=lambda: OPEN_NOW).run(dispatcher, make_tracker(intent="human_agent"), {})
    said = "\n".join(texts(dispatcher))
    assert ContactCentre.load().phone in said
    assert "åbent nu" in said
    assert "Aarhus Kommune" in said, "the municipality's own contact is offered too"
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"], meta(dispatcher)["handoff"]) == (
        "human_agent", "handoff", True,
    )


async def test_handoff_while_closed_says_when_it_opens(dispatcher: CollectingDispatcher) -> None:
    await ActionHandoff(clock=lambda: CLOSED_NOW).run(dispatcher, make_tracker(intent="human_agent"), {})
    said = "\n".join(texts(dispatcher))
    assert "lukket" in said
    assert "Åbningstider" in said
    assert meta(dispatcher)["handoff"] is True


async def test_emergency_gives_112_livslinien_and_the_regional_helpline(dispatcher: CollectingDispatcher) -> None:
    await ActionEmergency().run(dispatcher, make_tracker(intent="emergency", municipality="furesoe"), {})
    said = texts(dispatcher)[0]
    assert "112" in said and "70 201 201" in said
    assert "1813" in said, "Furesø is in Region Hovedstaden"
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("emergency", "safety")


async def test_emergency_helpline_follows_the_region(dispatcher: CollectingDispatcher) -> None:
    await ActionEmergency().run(dispatcher, make_tracker(intent="emergency", municipality="aarhus"), {})
    assert "1813" not in texts(dispatcher)[0]
    assert "70 11 31 31" in texts(dispatcher)[0]
