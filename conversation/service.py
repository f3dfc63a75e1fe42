"""The work behind the chat API: redact, record, ask Rasa, record, answer (or fall back)."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from conversation.directory import Directory
from conversation.fallback import fallback_messages
from conversation.log import ConversationLog, ConversationRecord, TurnRecord
from conversation.rasa import BotReply, RasaClient, RasaMetadata, RasaUnavailable
from muni.clock import Clock
from muni.languages import DEFAULT_LANGUAGE
from muni.privacy import contact_details, redact
from muni.replies import Message, Source
from muni.sealed import METADATA_KEY, ContactSealer

logger = logging.getLogger("muni.conversation.service")

GREETING_INTENT = "/greeting"


@dataclass(frozen=True)
class Answer:
    messages: list[Message]
    topic: str | None
    source: Source
    handoff: bool


class Conversations:
    """Holds a conversation's turns together; the handlers only validate and serialise."""

    def __init__(
        self,
        log: ConversationLog,
        rasa: RasaClient,
        directory: Directory,
        now: Clock,
        sealer: ContactSealer | None = None,
    ) -> None:
        self._log = log
        self._rasa = rasa
        self._directory = directory
        self._now = now
        self._sealer = sealer

    async def start(
        self, municipality: str, channel: str, topic: str | None, language: str = DEFAULT_LANGUAGE
    ) -> tuple[str, Answer]:
        """Open a conversation in `language` and return its id and the bot's opening (greeting or topic answer)."""
        conversation = ConversationRecord(
            id=str(uuid.uuid4()),
            municipality=municipality,
            channel=channel,
            started_at=self._now(),
            topic=topic,
            language=language,
        )
        await self._log.start_conversation(conversation)
        opening = f"/{topic}" if topic is not None else GREETING_INTENT
        return conversation.id, await self._ask(conversation, opening)

    async def find(self, conversation_id: str) -> ConversationRecord | None:
        return await self._log.conversation(conversation_id)

    async def reply(self, conversation: ConversationRecord, citizen_text: str) -> Answer:
        """Record what the citizen wrote (redacted) before anything downstream can fail, then answer."""
        redacted = redact(citizen_text)
        await self._log.add_turns(
            [TurnRecord(conversation_id=conversation.id, at=self._now(), role="citizen", text=redacted)]
        )
        metadata = self._metadata(conversation)
        # A booking confirmation needs the contact detail itself; it travels sealed, never in clear.
        if self._sealer is not None and (contacts := contact_details(citizen_text)):
            metadata[METADATA_KEY] = self._sealer.seal(contacts[0])
        return await self._ask(conversation, redacted, metadata)

    async def _ask(
        self, conversation: ConversationRecord, message: str, metadata: RasaMetadata | None = None
    ) -> Answer:
        started = time.perf_counter()
        if metadata is None:
            metadata = self._metadata(conversation)
        try:
            reply = await self._rasa.send(conversation.id, message, metadata)
            if not reply.messages:
                raise RasaUnavailable("Rasa replied with no text message")
        except RasaUnavailable as error:
            logger.warning(
                "Bot unavailable for conversation %s (%s): %s; sent the scripted fallback",
                conversation.id,
                conversation.municipality,
                error,
            )
            reply = BotReply(
                messages=fallback_messages(self._directory.contact_centre, self._now(), conversation.language),
                topic=None,
                source="fallback",
                handoff=True,
            )
        latency_ms = round((time.perf_counter() - started) * 1000)
        await self._record(conversation, reply, latency_ms)
        return Answer(messages=reply.messages, topic=reply.topic, source=reply.source, handoff=reply.handoff)

    @staticmethod
    def _metadata(conversation: ConversationRecord) -> RasaMetadata:
        return {
            "municipality": conversation.municipality,
            "channel": conversation.channel,
            "language": conversation.language,
        }

    async def _record(self, conversation: ConversationRecord, reply: BotReply, latency_ms: int) -> None:
        at = self._now()
        await self._log.add_turns(
            [
                TurnRecord(
                    conversation_id=conversation.id,
                    at=at,
                    role="bot",
                    text=message["text"],
                    topic=reply.topic,
                    source=reply.source,
                    handoff=reply.handoff,
                    latency_ms=latency_ms,
                )
                for message in reply.messages
            ]
        )
        for gap in reply.missing:
            topic = gap.topic or reply.topic or "unknown"
            await self._log.record_gap(conversation.municipality, topic, gap.variable, at)
        logger.info(
            "Answered conversation %s: topic=%s source=%s handoff=%s latency_ms=%d",
            conversation.id,
            reply.topic,
            reply.source,
            reply.handoff,
            latency_ms,
        )
