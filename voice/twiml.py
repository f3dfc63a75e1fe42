"""TwiML built with twilio's VoiceResponse: every reply the IVR gives, as structure, not templates."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from voice.settings import TransferTarget

_WORKFLOW_SID = re.compile(r"WW[0-9a-f]{32}")


@dataclass(frozen=True)
class Speaker:
    """Says things in one language's configured voice and asks with <Gather input="dtmf speech"> in it."""

    voice: str
    language: str

    def say(self, parent: VoiceResponse | Gather, text: str) -> None:
        if text.strip():
            parent.say(text, voice=self.voice, language=self.language)

    def ask(
        self,
        response: VoiceResponse,
        action: str,
        texts: Sequence[str | Aside],
        *,
        hints: str,
        num_digits: int | None = 1,
        timeout_s: int = 5,
    ) -> Gather:
        """A Gather that posts to `action` even on silence (actionOnEmptyResult), so silence is handled there."""
        gather = response.gather(
            input="dtmf speech",
            action=action,
            method="POST",
            language=self.language,
            hints=hints,
            speech_timeout="auto",
            timeout=timeout_s,
            num_digits=num_digits,
            action_on_empty_result=True,
        )
        for text in texts:
            if isinstance(text, Aside):
                text.speaker.say(gather, text.text)
            else:
                self.say(gather, text)
        return gather


@dataclass(frozen=True)
class Aside:
    """A line in another language's voice within a prompt: "For English, press 9." on a Danish call."""

    text: str
    speaker: Speaker


def transfer(
    response: VoiceResponse,
    target: TransferTarget,
    *,
    topic: str | None,
    municipality: str,
    whisper_url: str,
    done_url: str,
) -> None:
    """Put the caller through to a person, carrying what the call is about.

    A number gets a whisper (read to the agent before connecting), a SIP address gets
    X-Muni-* headers, a TaskRouter workflow gets task attributes.
    """
    context = {"topic": topic or "unknown", "municipality": municipality}
    if target.kind == "number":
        dial = response.dial(action=done_url, method="POST", timeout=30)
        dial.number(target.address, url=whisper_url, method="POST")
    elif target.kind == "sip":
        headers = urlencode({"X-Muni-Topic": context["topic"], "X-Muni-Municipality": municipality})
        separator = "&" if "?" in target.address else "?"
        dial = response.dial(action=done_url, method="POST", timeout=30)
        dial.sip(f"{target.address}{separator}{headers}")
    elif _WORKFLOW_SID.fullmatch(target.address):
        enqueue = response.enqueue(workflow_sid=target.address, action=done_url, method="POST")
        enqueue.task(json.dumps(context))
    else:
        response.enqueue(target.address, action=done_url, method="POST")


def xml(response: VoiceResponse) -> str:
    return str(response)
