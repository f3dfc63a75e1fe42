from __future__ import annotations

import inspect

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.conversation import ActionConverse
from actions.fallback import ActionClarify, ActionOutOfScope, FallbackAction
from tests.actions.conftest import OPEN_NOW, make_tracker, meta, texts


async def test_first_unclear_turn_asks_did_you_mean_with_the_likeliest_topics(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        intent="nlu_fallback",
        ranking=[("nlu_fallback", 0.45), ("passport", 0.4), ("greeting", 0.3), ("driving_licence", 0.2), ("moving", 0.01)],
    )
    events = await ActionClarify(clock=lambda: OPEN_NOW).run(dispatcher, tracker, {})
    buttons = dispatcher.messages[0]["buttons"]
    assert "Mente du" in dispatcher.messages[0]["text"]
    assert [b["payload"] for b in buttons] == ["/passport", "/driving_licence", "/human_agent"]
    assert [b["title"] for b in buttons][:2] == ["Pas", "Kørekort"]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"], meta(dispatcher)["handoff"]) == (None, "fallback", False)
    assert SlotSet("failed_turns", 1) in events


async def test_no_candidates_means_asking_to_rephrase(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="nlu_fallback", ranking=[("nlu_fallback", 0.9), ("greeting", 0.05)])
    await ActionClarify(clock=lambda: OPEN_NOW).run(dispatcher, tracker, {})
    assert "andre ord" in texts(dispatcher)[0]
    assert meta(dispatcher)["source"] == "fallback"


async def test_second_failed_turn_in_a_row_offers_a_human(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="nlu_fallback", slots={"failed_turns": 1})
    events = await ActionClarify(clock=lambda: OPEN_NOW).run(dispatcher, tracker, {})
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"], meta(dispatcher)["handoff"]) == (None, "fallback", True)
    assert SlotSet("failed_turns", 0) in events
    assert any("medarbejder" in text for text in texts(dispatcher))


async def test_out_of_scope_is_declined_without_a_topic(dispatcher: CollectingDispatcher) -> None:
    events = await ActionOutOfScope(clock=lambda: OPEN_NOW).run(dispatcher, make_tracker(intent="out_of_scope"), {})
    assert "ikke hjælpe" in texts(dispatcher)[0]
    assert dispatcher.messages[0]["buttons"] == [{"title": "Tal med en medarbejder", "payload": "/human_agent"}]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"], meta(dispatcher)["handoff"]) == (None, "fallback", False)
    assert SlotSet("failed_turns", 1) in events


async def test_out_of_scope_after_a_failed_turn_hands_over(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(intent="out_of_scope", slots={"failed_turns": 1})
    await ActionOutOfScope(clock=lambda: OPEN_NOW).run(dispatcher, tracker, {})
    assert meta(dispatcher)["handoff"] is True


async def test_greeting_names_the_municipality(dispatcher: CollectingDispatcher) -> None:
    await ActionConverse().run(dispatcher, make_tracker(intent="greeting", municipality="horsens"), {})
    assert "Horsens Kommunes" in texts(dispatcher)[0]
    assert (meta(dispatcher)["topic"], meta(dispatcher)["source"]) == ("greeting", "conversation")


def test_rasa_sdk_registers_both_fallback_actions_and_skips_their_abstract_base() -> None:
    # As `python -m actions` does: rasa-sdk instantiates every Action subclass it has imported and
    # registers it by name(); a concrete base without a name of its own would stop the server here.
    executor = ActionExecutor()
    executor.register_package("actions")

    assert inspect.isabstract(FallbackAction)
    registered = {name: type(run.__self__) for name, run in executor.actions.items()}
    assert registered["action_clarify"] is ActionClarify
    assert registered["action_out_of_scope"] is ActionOutOfScope
    assert FallbackAction not in registered.values()
