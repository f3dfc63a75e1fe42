"""`muni stats unanswered`: group the new unanswered questions by similarity, off the gateway's request path.

Each new question joins the open group whose first question it is most like (cosine of the
project's own embeddings, multilingual-e5-small), or starts a group of its own; a new group
gets the topic whose title it is most like, for the link to the content editor.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from conversation.schema import upgrade_database
from conversation.statistics.unanswered import UnansweredQuestions
from knowledge.embeddings import Embedder, aencode_passages, aencode_queries, default_embedder
from knowledge.topics import load_topics
from muni.db import database_url_from_env, open_engine

SIMILAR = 0.86  # e5's cosines run high: below this, two questions are about different things


async def group_new_questions(store: UnansweredQuestions, embedder: Embedder, topics: dict[str, str]) -> int:
    """Add every new unanswered question to a group; the number added."""
    questions = await store.new_questions()
    if not questions:
        return 0
    topic_ids = sorted(topics)
    topic_vectors = await aencode_passages(embedder, [topics[t] for t in topic_ids]) if topic_ids else None
    vectors = await aencode_queries(embedder, [q.text for q in questions])
    groups: dict[str, list[tuple[int, str | None, np.ndarray]]] = {}
    for question, vector in zip(questions, vectors, strict=True):
        known = groups.get(question.municipality)
        if known is None:
            known = groups[question.municipality] = []
            for group_id, topic in await store.groups_of(question.municipality):
                first = await store.texts(group_id)
                known.append((group_id, topic, (await aencode_queries(embedder, first[:1]))[0]))
        scored = [(float(np.dot(vector, rep)), group_id, topic) for group_id, topic, rep in known]
        best = max(scored, default=None)
        if best is not None and best[0] >= SIMILAR:
            await store.add(question, best[1], best[2])
            continue
        topic = None if topic_vectors is None else topic_ids[int(np.argmax(topic_vectors @ vector))]
        await store.add(question, question.turn_id, topic)
        known.append((question.turn_id, topic, vector))
    return len(questions)


async def run_grouping(environ: Mapping[str, str]) -> int:
    """The command: the gateway's database, the project's embedding model and topic titles."""
    engine = open_engine(database_url_from_env(environ))
    try:
        await upgrade_database(engine)
        topics = {topic.id: topic.title for topic in load_topics().values()}
        return await group_new_questions(UnansweredQuestions(engine), default_embedder(), topics)
    finally:
        await engine.dispose()
