"""Build the Danish spaCy pipeline Rasa's SpacyNLP loads: blank "da" + lookup lemmas.

No Danish pipeline is published on PyPI, so setup assembles one from spaCy's
own Danish tokenizer and stop words and the lemma lookup table shipped in
spacy-lookups-data, and saves it to disk. Run it with the Rasa environment's
Python so the saved pipeline matches the spaCy that loads it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import spacy


def build(target: Path) -> None:
    nlp = spacy.blank("da")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # copies the lookup table from spacy-lookups-data into the pipeline
    target.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_spacy_da.py <target-dir>", file=sys.stderr)
        return 2
    target = Path(argv[1])
    build(target)
    probe = spacy.load(target)("jeg har mistet mit kørekort og pas")
    print(f"saved Danish pipeline to {target}: lemmas {[t.lemma_ for t in probe]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
