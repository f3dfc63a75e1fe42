"""The work behind the chat API: redact, record, screen for safety, ask Rasa, record, answer (or fall back)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, replace

from conversation.directory import Directory
from conversation.fallback import fallback_messages
from conversation.log import ConversationLog, ConversationRecord, TurnRecord
from conversation.metrics import Metrics
from conversation.rasa import BotReply, RasaClient, RasaMetadata, RasaUnavailable
from conversation.recovery import BookingRecovery, OutcomeStillUnknown
from conversation.turns import LocalTurnLocks, TurnLocks
from crisis.answers import AKUTGUIDE_TOPIC, CrisisValues, LocalCrisisInfo, akutguide, local_info, opening
from crisis.model import Crisis
from crisis.questions import about_the_crisis
from crisis.store import CrisisBoard
from muni.clock import Clock
from muni.languages import DEFAULT_LANGUAGE
from muni.logs import REQUEST_ID
from muni.privacy import contact_details, redact
from muni.replies import Message, Source
from muni.sealed import METADATA_KEY, ContactSealer
from safety.desk import SafetyDesk, Screened

logger = logging.getLogger("muni.conversation.service")

GREETING_INTENT = "/greeting"
RESTART_INTENT = "/restart"  # Rasa's own: resets the tracker and says nothing (the domain has no utter_restart)


class AssistantUnavailable(Exception):
    """Rasa or the action server could not answer; what the citizen wrote and this message are recorded.

    The channels translate it: the chat API answers 503 with `text` (the contact
    centre's phone and hours), the phone puts the caller through or reads the hours.
    """

    def __init__(self, conversation_id: str, messages: list[Message]) -> None:
        super().__init__(f"the assistant could not answer conversation {conversation_id}")
        self.conversation_id = conversation_id
        self.messages = messages

    @property
    def text(self) -> str:
        return "\n".join(message["text"] for message in self.messages)


# A screened message reaches Rasa as this intent, never as the citizen's words: the tracker learns
# that an emergency was answered (a booking form ends, as when Rasa itself classified one) while
# the safety answer waits for Rasa at most TELL_RASA_S and never depends on it.
EMERGENCY_INTENT = "/emergency"
TELL_RASA_S = 1.5
BOOKING_TOPIC = "appointment_booking"
# While a crisis is on, Rasa gets this long before the crisis answer is given instead: in a surge a
# citizen is better served by the akutguide now than by a queue (the chat's p95 target is 1 s).
CRISIS_WAIT_S = 0.8


@dataclass(frozen=True)
class Answer:
    messages: list[Message]
    topic: str | None
    source: Source
    handoff: bool
    degraded: bool = False  # crisis mode answered from its own state because Rasa could not


class Conversations:
    """Holds a conversation's turns together; the handlers only validate and serialise."""

    def __init__(
        self,
        log: ConversationLog,
        rasa: RasaClient,
        directory: Directory,
        now: Clock,
        sealer: ContactSealer | None = None,
        metrics: Metrics | None = None,
        safety: SafetyDesk | None = None,
        crises: CrisisBoard | None = None,
        turns: TurnLocks | None = None,
        recovery: BookingRecovery | None = None,
    ) -> None:
        self._log = log
        self._turns: TurnLocks = LocalTurnLocks() if turns is None else turns
        self._rasa = rasa
        self._directory = directory
        self._now = now
        self._sealer = sealer
        self._metrics = metrics
        self._safety = safety
        self._crises = crises
        self._recovery = recovery
        self._crisis_values: CrisisValues | None = None

    def use_crisis_values(self, source: CrisisValues) -> None:
        """Where the akutguide's values published in the console are read (the console sets it at start).

        Without one, the crisis answer uses the tenant files' values (the directory's).
        """
        self._crisis_values = source

    async def start(
        self, municipality: str, channel: str, topic: str | None, language: str = DEFAULT_LANGUAGE
    ) -> tuple[str, Answer]:
        """Open a conversation in `language` and return its id and the bot's opening (greeting or topic answer).

        Raise AssistantUnavailable (the conversation is recorded) when the bot cannot answer.
        """
        conversation = ConversationRecord(
            id=str(uuid.uuid4()),
            municipality=municipality,
            channel=channel,
            started_at=self._now(),
            topic=topic,
            language=language,
        )
        await self._log.start_conversation(conversation)
        if self._metrics is not None:
            self._metrics.conversations.labels(channel).inc()
        intent = f"/{topic}" if topic is not None else GREETING_INTENT
        crisis = await self._crisis(municipality)
        if crisis is None:
            return conversation.id, await self._ask(conversation, intent)
        # While a crisis is on, the first answer starts with its message, whatever Rasa does.
        first = opening(crisis, language)
        await self._record(conversation, BotReply([first], topic=AKUTGUIDE_TOPIC, source="guide"), 0)
        answer = await self._ask(conversation, intent, degrade_to=crisis)
        return conversation.id, replace(answer, messages=[first, *answer.messages])

    async def crisis_local(self, municipality: str, language: str = DEFAULT_LANGUAGE) -> LocalCrisisInfo:
        """The akutguide's local values in `language`: the tenant files', overridden by those published in the console."""
        values = dict(self._directory.crisis_values_in(municipality, language))
        if self._crisis_values is not None:
            try:
                values.update(await self._crisis_values(municipality, language))
            except Exception:  # the crisis answer never fails for want of a published value: the files' stand
                logger.exception("Could not read the published akutguide values of %s", municipality)
        return local_info(values, language)

    async def crisis(self, municipality: str) -> Crisis | None:
        """The municipality's active crisis, from the gateway's own state (the voice greeting reads it too)."""
        return await self._crisis(municipality)

    async def find(self, conversation_id: str) -> ConversationRecord | None:
        return await self._log.conversation(conversation_id)

    async def was_offered(self, conversation: ConversationRecord, payload: str) -> bool:
        """Whether the bot offered a button with this payload in the conversation."""
        if redact(payload) != payload:
            # The bot sees only redacted text, so it never offers a citizen's personal data: no need to
            # look (and the lookup's parameters must not carry it into a driver's debug log).
            return False
        return await self._log.was_offered(conversation.id, payload)

    async def reply(self, conversation: ConversationRecord, citizen_text: str) -> Answer:
        """Record what the citizen wrote (redacted) before anything downstream can fail, then answer.

        Safety comes before understanding: an emergency or a crisis of life gets the safety
        answer without Rasa being asked what the message means, and a language the assistant
        does not answer in gets a notice of where to get help in it. Raise AssistantUnavailable,
        with the scripted message recorded as the bot's turn, when Rasa or the action server
        fails, answers nothing usable or too late.
        """
        async with self._turns.turn(conversation.id):  # a second turn sent meanwhile waits for this one
            return await self._reply(conversation, citizen_text)

    async def _reply(self, conversation: ConversationRecord, citizen_text: str) -> Answer:
        started = time.perf_counter()
        redacted = redact(citizen_text)
        recorded = self._log.add_turns(
            [TurnRecord(conversation_id=conversation.id, at=self._now(), role="citizen", text=redacted)]
        )
        if self._safety is None:
            await recorded
            metadata = self._metadata(conversation)
        else:
            # The citizen's turn is written while the safety desk reads it, off the event loop (the
            # language guess and the embedding check are milliseconds of CPU): one after the other they
            # took 2.7 + 7.7 ms at the median and 11 + 14 ms at p90 at 22 chat turns/s.
            reading = asyncio.create_task(asyncio.to_thread(self._read, self._safety, conversation, redacted))
            try:
                await recorded
            except BaseException:
                reading.cancel()  # nothing happens to a turn that was not recorded
                raise
            language, screened = await reading
            conversation = await self.set_language(conversation, language)
            metadata = self._metadata(conversation)
            if screened is not None:
                return await self._answer_safety(self._safety, conversation, screened, metadata, started)
            notice = self._safety.notice(conversation.language, self._directory.contact_centre.phone)
            if notice is not None:
                reply = BotReply(messages=[notice], topic=None, source="handoff", handoff=True)
                await self._record(conversation, reply, _elapsed_ms(started))
                self._count(conversation, reply, started)
                return Answer(messages=reply.messages, topic=None, source=reply.source, handoff=True)
        crisis = await self._crisis(conversation.municipality)
        if crisis is not None and about_the_crisis(redacted):
            return await self._answer_crisis(conversation, crisis, started)
        # A booking confirmation needs the contact detail itself; it travels sealed, never in clear.
        if self._sealer is not None and (contacts := contact_details(citizen_text)):
            metadata[METADATA_KEY] = self._sealer.seal(contacts[0])
        if redacted == RESTART_INTENT:
            # Rasa forgets the conversation and says nothing; the citizen is greeted afresh.
            await self._ask(conversation, RESTART_INTENT, metadata, silent_ok=True, degrade_to=crisis)
            return await self._ask(conversation, GREETING_INTENT, metadata, degrade_to=crisis)
        return await self._ask(conversation, redacted, metadata, degrade_to=crisis)

    async def _crisis(self, municipality: str) -> Crisis | None:
        return None if self._crises is None else await self._crises.active(municipality)

    async def _answer_crisis(self, conversation: ConversationRecord, crisis: Crisis, started: float) -> Answer:
        """The akutguide's answer, from the gateway's own state: Rasa is not asked."""
        local = await self.crisis_local(conversation.municipality, conversation.language)
        messages = akutguide(crisis, local, language=conversation.language)
        reply = BotReply(messages=messages, topic=AKUTGUIDE_TOPIC, source="guide")
        await self._record(conversation, reply, _elapsed_ms(started))
        self._count(conversation, reply, started)
        if self._metrics is not None:
            self._metrics.crisis_answers.labels(conversation.channel, "akutguide").inc()
        return Answer(messages=messages, topic=AKUTGUIDE_TOPIC, source="guide", handoff=False)

    async def set_language(self, conversation: ConversationRecord, language: str) -> ConversationRecord:
        """Answer in `language` from now on: the caller chose it on the phone's keypad (the IVR's 9)."""
        if language == conversation.language:
            return conversation
        await self._log.set_language(conversation.id, language)
        return replace(conversation, language=language)

    @staticmethod
    def _read(safety: SafetyDesk, conversation: ConversationRecord, text: str) -> tuple[str, Screened | None]:
        """The language the citizen now writes (kept when short or unsure; voice keeps its own), and the
        safety answer in it when `text` is an emergency or a crisis of life. CPU work: run it in a thread."""
        language = conversation.language
        if conversation.channel != "voice":
            # The IVR hears the language the caller chose (Danish, or English after 9): a transcript is in it.
            language = safety.language(text, language)
        return language, safety.screen(text, language, conversation.municipality)

    async def _answer_safety(
        self,
        safety: SafetyDesk,
        conversation: ConversationRecord,
        screened: Screened,
        metadata: RasaMetadata,
        started: float,
    ) -> Answer:
        messages = list(screened.messages)
        if (notice := safety.notice(conversation.language, self._directory.contact_centre.phone)) is not None:
            messages.append(notice)
        reply = BotReply(messages=messages, topic="emergency", source="safety", handoff=False)
        logger.warning(
            "Safety answer for conversation %s (%s): %s by %s",
            conversation.id,
            conversation.municipality,
            screened.finding.category,
            screened.finding.method,
        )
        await self._record(conversation, reply, _elapsed_ms(started))
        self._count(conversation, reply, started)
        try:
            await asyncio.wait_for(self._rasa.send(conversation.id, EMERGENCY_INTENT, metadata), TELL_RASA_S)
        except (RasaUnavailable, TimeoutError) as error:
            logger.warning("Rasa was not told of conversation %s's emergency: %s", conversation.id, error or "timeout")
        return Answer(messages=reply.messages, topic=reply.topic, source=reply.source, handoff=reply.handoff)

    async def _ask(
        self,
        conversation: ConversationRecord,
        message: str,
        metadata: RasaMetadata | None = None,
        *,
        silent_ok: bool = False,
        degrade_to: Crisis | None = None,
    ) -> Answer:
        """The bot's answer to `message`; an answer without text is a failure unless `silent_ok`.

        When the bot cannot answer while a crisis is on (`degrade_to`), the citizen gets the
        akutguide's answer from the gateway's own state, saying honestly that we are busy.
        """
        started = time.perf_counter()
        if metadata is None:
            metadata = self._metadata(conversation)
        try:
            wait = None if degrade_to is None else CRISIS_WAIT_S
            reply = await self._rasa.send(conversation.id, message, metadata, timeout_s=wait)
            if not reply.messages and not silent_ok:
                raise RasaUnavailable("Rasa replied with no text message")
        except RasaUnavailable as error:
            if degrade_to is not None:
                return await self._degraded(conversation, degrade_to, started, error)
            reply = await self._recover(conversation, started, error)
        await self._record(conversation, reply, _elapsed_ms(started))
        if reply.messages:
            self._count(conversation, reply, started)
        return Answer(messages=reply.messages, topic=reply.topic, source=reply.source, handoff=reply.handoff)

    async def _recover(self, conversation: ConversationRecord, started: float, error: RasaUnavailable) -> BotReply:
        """Before the citizen hears of a failure, a booking whose outcome was lost is checked by its key.

        Raise AssistantUnavailable, with the scripted message recorded, when there is nothing to recover.
        """
        unknown = False
        if self._recovery is not None:
            try:
                in_booking = await self._in_booking(conversation)
                if (recovered := await self._recovery.recover(conversation.id, in_booking=in_booking)) is not None:
                    return recovered
            except OutcomeStillUnknown as still:
                logger.warning("Booking outcome still unknown: %s", still)
                unknown = True
        logger.warning(
            "Bot unavailable for conversation %s (%s): %s; the citizen was given the contact centre",
            conversation.id,
            conversation.municipality,
            error,
        )
        centre = self._directory.contact_centre
        scripted = BotReply(
            messages=fallback_messages(centre, self._now(), conversation.language, booking_unknown=unknown),
            topic=None,
            source="fallback",
            handoff=True,
        )
        await self._record(conversation, scripted, _elapsed_ms(started))
        if self._metrics is not None:
            self._metrics.unavailable(conversation.channel, time.perf_counter() - started)
        raise AssistantUnavailable(conversation.id, scripted.messages) from error

    async def _in_booking(self, conversation: ConversationRecord) -> bool:
        """Whether the bot's last answer was a step of a booking (the log says; Rasa may be down)."""
        bot = [turn for turn in await self._log.turns(conversation.id) if turn.role == "bot"]
        return bool(bot) and (bot[-1].topic, bot[-1].source) == (BOOKING_TOPIC, "booking")

    async def _degraded(self, conversation: ConversationRecord, crisis: Crisis, started: float, error: RasaUnavailable) -> Answer:
        logger.warning("Bot unavailable for conversation %s during a crisis: %s; the akutguide answered", conversation.id, error)
        local = await self.crisis_local(conversation.municipality, conversation.language)
        messages = akutguide(crisis, local, busy=True, language=conversation.language)
        reply = BotReply(messages=messages, topic=AKUTGUIDE_TOPIC, source="guide")
        await self._record(conversation, reply, _elapsed_ms(started))
        if self._metrics is not None:
            self._metrics.rasa_errors.inc()
            self._metrics.crisis_answers.labels(conversation.channel, "degraded").inc()
        return Answer(messages=messages, topic=AKUTGUIDE_TOPIC, source="guide", handoff=False, degraded=True)

    def _count(self, conversation: ConversationRecord, reply: BotReply, started: float) -> None:
        if self._metrics is not None:
            self._metrics.turn(conversation.channel, reply.source, reply.handoff, time.perf_counter() - started)

    @staticmethod
    def _metadata(conversation: ConversationRecord) -> RasaMetadata:
        metadata: RasaMetadata = {
            "municipality": conversation.municipality,
            "channel": conversation.channel,
            "language": conversation.language,
        }
        if request_id := REQUEST_ID.get():
            metadata["request_id"] = request_id
        return metadata

    async def _record(self, conversation: ConversationRecord, reply: BotReply, latency_ms: int) -> None:
        at = self._now()
        offered = [button["payload"] for message in reply.messages for button in message.get("buttons", [])]
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
            ],
            offered,
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


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
