"""What the channels say while a crisis is on, from the gateway's own state: never dependent on Rasa.

All text is plain text: the widget escapes it and the phone speaks it, so HTML in a message is
shown or read as the characters it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from crisis.model import Crisis
from muni.replies import Link, Message

# The akutguide belongs to the shared topic emergency (shared/topics.yml: "kriser og beredskab (strømsvigt,
# storm, akutguide)"); its guide with the local values is knowledge/guides/emergency.yml.
AKUTGUIDE_TOPIC = "emergency"

BUSY = "Vi har travlt lige nu, fordi mange henvender sig på samme tid. Her er det vigtigste:"
BUSY_EN = "We are very busy right now because many people are contacting us at once. Here is what matters most:"


# A municipality's akutguide values as published in the console, written in a language (name -> text):
# called with (slug, language), e.g. {"crisis_page": "https://…", "crisis_radio": "P4 Østjylland"}.
CrisisValues = Callable[[str, str], Awaitable[Mapping[str, str]]]


@dataclass(frozen=True)
class LocalCrisisInfo:
    """What a municipality fills in before any crisis (the akutguide's local variables), in one language."""

    crisis_page: str | None = None  # the municipality's standing crisis page
    hotline: str | None = None  # its standing crisis hotline
    radio: str = "DR P4 (din lokale P4-kanal)"
    tv: str = "DR1 og dr.dk"
    police: str = "politi.dk og politiets kanaler på sociale medier"


# The national defaults in English (knowledge/national.yml's `en:`), for when no value is known at all.
ENGLISH_DEFAULTS = LocalCrisisInfo(
    radio="DR P4 (your local P4 radio channel)", tv="DR1 and dr.dk", police="politi.dk and the police's social media channels"
)


def _links(crisis: Crisis, local: LocalCrisisInfo, english: bool) -> list[Link]:
    link = crisis.link or local.crisis_page
    return [{"title": "The municipality's crisis page" if english else "Kommunens kriseside", "url": link}] if link else []


def opening(crisis: Crisis, language: str = "da") -> Message:
    """The crisis message every conversation's first answer starts with (in English where the crisis has it)."""
    english = language == "en"
    text = crisis.message_en if english and crisis.message_en else crisis.message_da
    parts = [f"{'Important' if english else 'Vigtigt'}: {crisis.title}", text]
    if crisis.phone:
        parts.append(f"{'Crisis hotline' if english else 'Krisetelefon'}: {crisis.phone}")
    message: Message = {"text": "\n".join(parts)}
    if crisis.link:
        title = "Read more on the municipality's crisis page" if english else "Læs mere på kommunens kriseside"
        message["links"] = [{"title": title, "url": crisis.link}]
    return message


def akutguide(crisis: Crisis, local: LocalCrisisInfo, *, busy: bool = False, language: str = "da") -> list[Message]:
    """The akutguide's answer to a question about the crisis, right from the first minute."""
    phone = crisis.phone or local.hotline
    link = crisis.link or local.crisis_page
    english = language == "en"
    lines = [crisis.message_en if english and crisis.message_en else crisis.message_da]
    if english:
        lines += [
            "In danger of life: call 112.",
            f"Latest news from the municipality: {link}." if link else "",
            f"Crisis hotline: {phone}." if phone else "",
            f"Listen to {local.radio}, watch {local.tv}, and follow {local.police}.",
        ]
    else:
        lines += [
            "Er der fare for liv, så ring 112.",
            f"Følg kommunens opdateringer på {link}." if link else "",
            f"Ring til krisetelefonen på {phone}." if phone else "",
            f"Lyt til {local.radio}, se {local.tv}, og følg {local.police}.",
            "Ring ikke 112 for at få information: brug krisetelefonen eller kommunens side.",
        ]
    message: Message = {"text": "\n".join(line for line in lines if line)}
    links = _links(crisis, local, english)
    if links:
        message["links"] = links
    messages: list[Message] = [message]
    if busy:
        messages.insert(0, {"text": BUSY_EN if english else BUSY})
    return messages


def local_info(values: Mapping[str, str] | None, language: str = "da") -> LocalCrisisInfo:
    """LocalCrisisInfo from a municipality's filled-in values written in `language` (missing ones keep the national defaults)."""
    defaults = ENGLISH_DEFAULTS if language == "en" else LocalCrisisInfo()
    if not values:
        return defaults
    return LocalCrisisInfo(
        crisis_page=values.get("crisis_page") or None,
        hotline=values.get("crisis_hotline") or None,
        radio=values.get("crisis_radio") or defaults.radio,
        tv=values.get("crisis_tv") or defaults.tv,
        police=values.get("crisis_police") or defaults.police,
    )
