"""The unanswered questions work list: fallback questions grouped by similarity, counted, marked handled."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from conversation.state import ENGINE
from conversation.statistics.unanswered import UnansweredQuestions
from ops.unanswered import group_new_questions
from tests.admin.support import log_in, page_csrf, stores
from tests.voice.support import Clock
from tests.web.support import Client, FakeRasa, bot_text, default_reply, muni_meta, say, start

TOPICS = {"waste": "Affald og genbrugsplads", "dogs": "Hund og hundetegn", "passport": "Pas"}


class WordEmbedder:
    """Stands in for e5: a text's vector is its words hashed into 64 dimensions, normalised (same words, same vector)."""

    name = "words"
    dimension = 64

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace("?", " ").split():
                vectors[row, hashlib.sha256(word[:5].encode()).digest()[0] % self.dimension] += 1
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._encode(texts)


async def unanswered(client: Client, rasa: FakeRasa, text: str, municipality: str = "aarhus") -> None:
    rasa.reply = lambda m: (
        default_reply(m)
        if m["message"] == "/greeting"
        else [bot_text("Det ved jeg ikke."), muni_meta(source="fallback", handoff=True)]
    )
    await say(client, await start(client, municipality=municipality), text=text)
    rasa.reply = default_reply


async def test_questions_that_got_a_fallback_are_grouped_counted_and_handled(
    client: Client, rasa: FakeRasa, clock: Clock
) -> None:
    for text in ("hvornår åbner genbrugspladsen", "hvornår åbner genbrugspladsen?", "hundetegn hund pris"):
        await unanswered(client, rasa, text)
    await unanswered(client, rasa, "hemmeligt skive spørgsmål", "skive")
    store = UnansweredQuestions(client.app[ENGINE])
    # The scripted day's fallbacks count too ("hej" twice: the plain fallback and the failed booking).
    assert await group_new_questions(store, WordEmbedder(), TOPICS) == 6
    assert await group_new_questions(store, WordEmbedder(), TOPICS) == 0  # each question once

    groups = await store.work_list("aarhus")
    assert [(g.example, g.count) for g in groups] == [
        ("hej", 2), ("hvornår åbner genbrugspladsen", 2), ("hundetegn hund pris", 1),
    ]  # fmt: skip
    assert groups[1].topic == "waste" and groups[2].topic == "dogs"

    await log_in(client, "anne.aarhus", at=clock.now)
    html = await (await client.get("/admin/m/aarhus/unanswered")).text()
    assert "hvornår åbner genbrugspladsen" in html and "skive" not in html
    assert 'href="/admin/m/aarhus/content?topic=waste"' in html
    token = await page_csrf(client, "/admin/m/aarhus/unanswered")
    skive_group = (await store.work_list("skive"))[0].group_id
    form = {"csrf": token}
    refused = await client.post(f"/admin/m/aarhus/unanswered/{skive_group}/handled", data=form, allow_redirects=False)
    assert refused.status == 404 and len(await store.work_list("skive")) == 1
    done = await client.post(
        f"/admin/m/aarhus/unanswered/{groups[1].group_id}/handled", data={"csrf": token}, allow_redirects=False
    )
    assert done.status == 303
    assert [g.example for g in await store.work_list("aarhus")] == ["hej", "hundetegn hund pris"]
    entries = await stores(client).audit.entries("aarhus")
    assert any(e.action == "unanswered.handled" for e in entries)
