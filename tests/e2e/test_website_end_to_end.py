"""A question no guide covers is answered from the municipality's own website, through the real parts:
`muni crawl` fetches a local site, `muni index` embeds it next to the guides, and the running stack
answers from it (source "web"), never for another municipality, and follows a re-index without a restart."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator, Mapping

import aiohttp
import pytest
from aiohttp import web

from bench.chatclient import ChatClient
from ops.supervisor import ROOT, Stack
from tests.support.ports import free_port
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]

NAV = '<nav><a href="/">Forside</a> <a href="/kultur/svoemmehal">Svømmehal</a> <a href="/kultur/bibliotek">Bibliotek</a></nav>'
COOKIES = '<div id="cookie-banner">Vi bruger cookies til statistik. Accepter alle cookies.</div>'
FOOTER = "<footer>Aarhus Kommune · Rådhuspladsen 2 · CVR 55133018</footer>"

SWIMMING_HOURS = (
    "Spanien Bad har åbent for offentlig badning mandag til fredag fra klokken 6.30 til 21.00. "
    "Lørdag og søndag har svømmehallen åbent fra klokken 8.00 til 16.00. "
    "Børn under 3 år bader gratis, og en voksenbillet koster 60 kroner."
)
SWIMMING_HOURS_CHANGED = SWIMMING_HOURS.replace("8.00 til 16.00", "9.00 til 15.00")
LIBRARY = (
    "Hovedbiblioteket Dokk1 har åbent alle ugens dage fra 8 til 22 med selvbetjening. "
    "Du kan låne bøger, lydbøger og film med dit sundhedskort, og aflevere døgnet rundt i bogkassen."
)


def _page(title: str, heading: str, text: str) -> str:
    return (
        f"<!doctype html><html lang=da><head><title>{title}</title></head><body>{COOKIES}{NAV}"
        f"<main><h1>{title}</h1><h2>{heading}</h2><p>{text}</p></main>{FOOTER}</body></html>"
    )


class MunicipalSite:
    """Aarhus' website as far as this test needs it, served from its own thread on 127.0.0.1."""

    def __init__(self) -> None:
        self.pages = {
            "/": _page("Aarhus Kommune", "Velkommen", "Find svar om kultur, fritid og borgerservice."),
            "/kultur/svoemmehal": _page("Svømmehaller", "Åbningstider i Spanien Bad", SWIMMING_HOURS),
            "/kultur/bibliotek": _page("Biblioteker", "Åbningstider på Dokk1", LIBRARY),
        }
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    async def _serve(self, request: web.Request) -> web.Response:
        if request.path == "/robots.txt":
            return web.Response(text=f"User-agent: *\nAllow: /\nSitemap: {self.base}/sitemap.xml\n")
        if request.path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base}{path}</loc></url>" for path in self.pages)
            body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return web.Response(text=body, content_type="application/xml")
        if request.path in self.pages:
            return web.Response(text=self.pages[request.path], content_type="text/html")
        raise web.HTTPNotFound()

    def __enter__(self) -> MunicipalSite:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)


def muni(env: Mapping[str, str], *args: str) -> str:
    """Run the staff's CLI as staff would; fail the test with its output if it fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, f"muni {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def site() -> Iterator[MunicipalSite]:
    with MunicipalSite() as served:
        yield served


@pytest.fixture(scope="module")
def knowledge_env(tmp_path_factory: pytest.TempPathFactory, site: MunicipalSite) -> dict[str, str]:
    var = tmp_path_factory.mktemp("knowledge")
    env = {"MUNI_CRAWL_DIR": str(var / "crawl"), "MUNI_INDEX_DIR": str(var / "index")}
    muni(env, "crawl", "aarhus", "--root", site.base + "/", "--allow-loopback", "--min-delay", "0")
    muni(env, "index", "--municipality", "aarhus")
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, knowledge_env: dict[str, str]) -> Iterator[Stack]:
    # The re-index test keeps asking while `muni index` runs: lift the per-client limits for it.
    limits = {"MUNI_CONVERSATIONS_PER_MINUTE": "1000", "MUNI_MESSAGES_PER_MINUTE": "1000"}
    with running_stack(tmp_path_factory.mktemp("var"), {**knowledge_env, **limits}) as running:
        yield running


@pytest.fixture
async def chat(stack: Stack) -> AsyncIterator[ChatClient]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield ChatClient(session, stack.config.gateway_url)


def test_staff_see_what_the_assistant_would_find(knowledge_env: dict[str, str]) -> None:
    output = muni(knowledge_env, "search", "aarhus", "hvornår har svømmehallen åbent i weekenden")
    assert "/kultur/svoemmehal" in output


async def test_the_index_is_part_of_readiness(chat: ChatClient) -> None:
    async with chat.session.get(f"{chat.base_url}/readyz") as response:
        assert response.status == 200, await response.text()
        assert (await response.json())["checks"]["index"] == "ok"


async def test_a_question_only_the_website_answers_gets_its_extract_and_link(chat: ChatClient, site: MunicipalSite) -> None:
    turn = await chat.say(await chat.start("aarhus"), "hvornår har svømmehallen åbent i weekenden")
    assert turn.status == 200, turn.body
    assert turn.source == "web", turn.body
    text = " ".join(message.get("text", "") for message in turn.body["messages"])
    assert "8.00 til 16.00" in text
    assert "cookies" not in text.lower()
    links = [link for message in turn.body["messages"] for link in message.get("links", [])]
    assert any(link["url"] == f"{site.base}/kultur/svoemmehal" for link in links), turn.body


async def test_another_municipality_never_gets_aarhus_pages(chat: ChatClient) -> None:
    turn = await chat.say(await chat.start("viborg"), "hvornår har svømmehallen åbent i weekenden")
    assert turn.status == 200
    assert turn.source != "web", turn.body  # Viborg's site was never crawled: its own guide or the fallback
    assert "Spanien Bad" not in str(turn.body) and "/kultur/svoemmehal" not in str(turn.body)


async def test_an_unrelated_question_still_gets_the_honest_fallback(chat: ChatClient) -> None:
    turn = await chat.say(await chat.start("aarhus"), "hvem vinder champions league i år")
    assert turn.source in ("fallback", "handoff"), turn.body
    assert turn.topic is None


async def test_a_re_index_is_answered_from_without_a_restart(
    chat: ChatClient, site: MunicipalSite, knowledge_env: dict[str, str]
) -> None:
    site.pages["/kultur/svoemmehal"] = _page("Svømmehaller", "Åbningstider i Spanien Bad", SWIMMING_HOURS_CHANGED)
    conversation = await chat.start("aarhus")
    # The assistant keeps answering while the crawl and the index run beside it.
    crawl = asyncio.create_task(asyncio.to_thread(muni, knowledge_env, "crawl", "aarhus", "--root", site.base + "/",
                                                  "--allow-loopback", "--min-delay", "0"))
    during = await chat.say(conversation, "hvornår har svømmehallen åbent i weekenden")
    await crawl
    index = asyncio.create_task(asyncio.to_thread(muni, knowledge_env, "index", "--municipality", "aarhus"))
    answered = 0
    while not index.done():
        turn = await chat.say(await chat.start("aarhus"), "hvornår har svømmehallen åbent i weekenden")
        assert (turn.status, turn.source) == (200, "web"), turn.body
        answered += 1
        await asyncio.sleep(0.2)
    await index
    assert answered >= 1
    assert during.status == 200 and during.source == "web"
    # The action server opens the new generation in the background and then answers from it.
    for _ in range(60):
        after = await chat.say(await chat.start("aarhus"), "hvornår har svømmehallen åbent i weekenden")
        assert after.source == "web", after.body
        if "9.00 til 15.00" in str(after.body):
            break
        await asyncio.sleep(0.5)
    assert "9.00 til 15.00" in str(after.body)
