"""The scripted message when the bot cannot answer at all: a way to a human, in plain Danish (or English)."""

from __future__ import annotations

from datetime import datetime

from conversation.directory import ContactCentreInfo
from muni.replies import Message


def fallback_messages(
    centre: ContactCentreInfo, at: datetime, language: str = "da", *, booking_unknown: bool = False
) -> list[Message]:
    """Apologise and give the contact centre's phone, opening hours and whether it is open now.

    In English for a conversation in English; in Danish for every other language. With
    `booking_unknown` (a booking was being confirmed and could not be checked) it says so first:
    the citizen must not take it for "not booked" and book twice.
    """
    if language == "en":
        text = (
            "I could not check whether your time was booked. Please do not book again: if it was, you will get a confirmation.\n"
            if booking_unknown
            else ""
        ) + (
            "Sorry, I cannot answer you right now because of a technical fault. "
            f"You can call the contact centre on {centre.phone}.\n"
            f"{centre.status_text(at, 'en')}\n"
            f"Opening hours: {centre.hours_text(language='en')}"
        )
    else:
        text = (
            "Jeg kunne ikke nå at tjekke, om din tid blev bestilt. Bestil ikke igen: Hvis den blev, får du en bekræftelse.\n"
            if booking_unknown
            else ""
        ) + (
            "Beklager, den digitale assistent kan ikke svare dig lige nu på grund af en teknisk fejl. "
            f"Du kan ringe til kontaktcentret på {centre.phone}.\n"
            f"{centre.status_text(at)}\n"
            f"Åbningstider: {centre.hours_text()}"
        )
    return [{"text": text}]
