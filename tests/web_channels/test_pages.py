"""embed.js, the chat UI, deep links and their security headers (CSP, CORS, framing)."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser

import pytest

from tests.web.support import Client, error_of
from tests.web_channels.conftest import FOREIGN, TEST_PAGE

PAGES = ["/widget/aarhus", "/start/aarhus/passport", "/start/skive", "/start/aarhus/nope", "/start/nope/passport"]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in policy.split(";")}


async def test_embed_js_is_small_cacheable_javascript_served_compressed(client: Client) -> None:
    response = await client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.content_type == "text/javascript"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "max-age" in response.headers["Cache-Control"]
    source = await response.text()
    assert "data-municipality" in source
    assert len(gzip.compress(source.encode())) < 30 * 1024


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_has_a_strict_policy_and_no_inline_script_or_style(client: Client, path: str) -> None:
    response = await client.get(path)
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    page = parse(await response.text())
    for tag, attrs in page.tags:
        assert "style" not in attrs and not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), "no inline script"
    assert ("html", {"lang": "da"}) in page.tags


async def test_the_widget_may_be_framed_by_the_municipalitys_origins_only(client: Client) -> None:
    aarhus = directives((await client.get("/widget/aarhus")).headers["Content-Security-Policy"])
    assert aarhus["frame-ancestors"].split() == ["https://aarhus.dk", "https://www.aarhus.dk", TEST_PAGE]
    skive = directives((await client.get("/widget/skive")).headers["Content-Security-Policy"])
    assert "https://aarhus.dk" not in skive["frame-ancestors"]
    full = directives((await client.get("/start/aarhus/passport")).headers["Content-Security-Policy"])
    assert full["frame-ancestors"] == "'none'"


async def test_the_chat_page_carries_the_municipality_topic_and_channel(client: Client) -> None:
    page = parse(await (await client.get("/start/aarhus/passport?via=sms")).text())
    root = dict(page.tags)["main"]
    assert root["data-municipality"] == "aarhus" and root["data-name"] == "Aarhus Kommune"
    assert (root["data-topic"], root["data-channel"], root["data-colour"]) == ("passport", "sms", "#00558c")
    assert "aarhus.dk" in root["data-link-domains"].split() and "borger.dk" in root["data-link-domains"].split()
    assert "Pas – Aarhus Kommune" in "".join(page.text)
    odd = parse(await (await client.get("/start/aarhus/passport?via=<script>")).text())
    assert dict(odd.tags)["main"]["data-channel"] == "web"


@pytest.mark.parametrize(("query", "language"), [("?lang=en", "en"), ("", "da"), ("?lang=de", "da"), ("?lang=<b>", "da")])
async def test_the_chat_page_opens_in_the_language_asked_for(client: Client, query: str, language: str) -> None:
    page = parse(await (await client.get(f"/widget/aarhus{query}")).text())
    root = dict(page.tags)["main"]

    assert ("html", {"lang": language}) in page.tags
    assert root["data-language"] == language
    text = "".join(page.text)
    if language == "en":
        assert "Aarhus Kommune – digital assistant" in text and "The assistant needs JavaScript" in text
    else:
        assert "Aarhus Kommune – digital assistent" in text and "Assistenten kræver JavaScript" in text


async def test_the_chat_ui_has_a_labelled_language_choice_and_sends_the_language(client: Client) -> None:
    source = await (await client.get("/static/chat.js")).text()

    assert 'el("select", { id: "muni-lang"' in source and 'el("label", { "for": "muni-lang" })' in source
    assert 'el("option", { value: "en", lang: "en" }, "English")' in source
    assert "language: lang" in source, "a conversation is started in the chosen language"
    assert "document.documentElement.lang = lang" in source


@pytest.mark.parametrize(
    ("path", "offers_start"),
    [("/start/aarhus/no_such_topic", True), ("/start/no-such-town/passport", False), ("/widget/nowhere", False)],
)
async def test_an_unknown_deep_link_gets_a_friendly_danish_page(client: Client, path: str, offers_start: bool) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Vi kan ikke finde siden" in html and "70 20 30 40" in html
    assert "no_such_topic" not in html and "no-such-town" not in html and "nowhere" not in html
    assert ('href="/start/aarhus"' in html) is offers_start


async def test_embed_config_is_shared_with_allowed_origins_only(client: Client) -> None:
    allowed = await client.get("/embed/aarhus/config", headers={"Origin": "https://www.aarhus.dk"})
    assert allowed.status == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.aarhus.dk"
    assert await allowed.json() == {
        "name": "Aarhus Kommune",
        "colour": "#00558c",
        "pages": ["/borger/*"],
        "widget": "/widget/aarhus",
    }
    refused = await client.get("/embed/aarhus/config", headers={"Origin": FOREIGN})
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    other_town = await client.get("/embed/skive/config", headers={"Origin": "https://aarhus.dk"})
    assert other_town.status == 403
    assert (await client.get("/embed/nowhere/config")).status == 404


async def test_the_chat_api_answers_cors_for_allowed_origins_and_refuses_foreign_ones(client: Client) -> None:
    preflight = await client.options(
        "/api/v1/conversations",
        headers={"Origin": TEST_PAGE, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == TEST_PAGE
    foreign = await client.options("/api/v1/conversations", headers={"Origin": FOREIGN})
    assert foreign.status == 403 and "Access-Control-Allow-Origin" not in foreign.headers

    body = {"municipality": "aarhus", "channel": "web"}
    ok = await client.post("/api/v1/conversations", json=body, headers={"Origin": "https://aarhus.dk"})
    assert ok.status == 201 and ok.headers["Access-Control-Allow-Origin"] == "https://aarhus.dk"
    opened = await ok.json()
    refused = await client.post("/api/v1/conversations", json=body, headers={"Origin": FOREIGN})
    assert refused.status == 403 and (await error_of(refused))["code"] == "origin_not_allowed"
    # Aarhus's site cannot drive Skive's assistant, nor a conversation of Skive's.
    skive = await client.post("/api/v1/conversations", json={**body, "municipality": "skive"},
                              headers={"Origin": "https://aarhus.dk"})
    assert skive.status == 403
    message = await client.post(
        f"/api/v1/conversations/{opened['conversation_id']}/messages",
        json={"text": "pas"},
        headers={"Authorization": f"Bearer {opened['token']}", "Origin": FOREIGN},
    )
    assert message.status == 403


async def test_the_gateways_own_pages_and_servers_without_origin_may_call_the_api(client: Client) -> None:
    own = f"http://{client.host}:{client.port}"
    body = {"municipality": "skive", "channel": "web"}
    assert (await client.post("/api/v1/conversations", json=body, headers={"Origin": own})).status == 201
    assert (await client.post("/api/v1/conversations", json=body)).status == 201


async def test_json_errors_and_the_api_carry_a_policy_too(client: Client) -> None:
    for response in (await client.get("/no/such/path"), await client.get("/healthz")):
        assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == "'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_assets_are_served_and_nothing_else(client: Client) -> None:
    for name, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
        response = await client.get(f"/static/{name}")
        assert response.status == 200 and response.content_type == kind
    assert (await client.get("/static/..%2fapp.py")).status == 404
    assert (await client.get("/static/secret.key")).status == 404


async def test_bot_text_is_only_ever_set_as_text_in_the_chat_ui(client: Client) -> None:
    source = await (await client.get("/static/chat.js")).text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink
