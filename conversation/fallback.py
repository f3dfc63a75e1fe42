"""The scripted message when the bot cannot answer at all: a way to a human, in plain Danish."""

from __future__ import annotations

from datetime import datetime

from conversation.directory import ContactCentreInfo
from muni.replies import Message


def fallback_messages(centre: ContactCentreInfo, at: datetime) -> list[Message]:
    """Apologise and give the contact centre's phone, opening hours and whether it is open now."""
    return [
        {
            "text": (
                "Beklager, den digitale assistent kan ikke svare dig lige nu på grund af en teknisk fejl. "
                f"Du kan ringe til kontaktcentret på {centre.phone}.\n"
                f"{centre.status_text(at)}\n"
                f"Åbningstider: {centre.hours_text()}"
            )
        }
    ]
