"""A synthetic municipal website for the crawl benchmark: deterministic pages, links, sitemaps, robots.txt.

Page `n` is rendered from `n` and the seed alone, so a server can make any page on
request and two runs see the same site. Each page carries what a real one does
around its content (cookie banner, menus, breadcrumb, footer) and 5-15 internal
links; the sitemap index lists every page in sitemaps of at most 10,000 URLs.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from xml.sax.saxutils import escape as xml_escape

SITEMAP_MAX_URLS = 10_000
MUNICIPALITY = "Bækby Kommune"
LASTMOD_EPOCH = date(2024, 1, 1)


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str
    subjects: tuple[str, ...]
    facts: tuple[str, ...]


TOPICS = (
    Topic(
        "affald-og-genbrug",
        "Affald og genbrug",
        ("storskrald", "haveaffald", "dagrenovation", "farligt affald", "papir og pap", "genbrugspladsen"),
        (
            "Din skraldespand bliver tømt hver {n} uge, og du skal stille den ud senest kl. {hour}.",
            "Du kan bestille afhentning af {subject} på selvbetjeningen, og det koster {price} kr. om året.",
            "Genbrugspladsen på {street} har åbent alle dage fra kl. {hour} til kl. 17.",
            "Hvis din {subject} ikke er blevet hentet, skal du kontakte affaldsselskabet inden {n} dage.",
            "Husk at sortere {subject} for sig, så det kan genanvendes.",
        ),
    ),
    Topic(
        "pas-og-koerekort",
        "Pas og kørekort",
        ("pas", "kørekort", "nødpas", "børnepas", "pasfoto", "kørekortfornyelse"),
        (
            "Du skal bestille tid i Borgerservice, før du kan søge om {subject}.",
            "Et {subject} koster {price} kr., og du betaler, når du møder op.",
            "Sagsbehandlingstiden for {subject} er typisk {n} uger, men den kan være længere om sommeren.",
            "Tag dit gamle {subject} og et gyldigt billedlegitimation med, når du kommer.",
            "Borgerservice på {street} tager pasfoto for {price} kr.",
        ),
    ),
    Topic(
        "flytning",
        "Flytning",
        ("flytning", "adresseændring", "flytning til udlandet", "midlertidig adresse", "postomadressering"),
        (
            "Du skal melde {subject} senest {n} dage efter, at du er flyttet.",
            "Du melder {subject} på borger.dk med MitID, og du får et nyt sundhedskort automatisk.",
            "Hvis du flytter til {street}, skal du også vælge en ny læge inden for {n} km.",
            "Det er gratis at melde {subject}, men et nyt sundhedskort med foto koster {price} kr.",
            "Kommunen kan give dig en bøde, hvis du melder {subject} for sent.",
        ),
    ),
    Topic(
        "byggetilladelse",
        "Byggeri og byggetilladelse",
        ("carport", "tilbygning", "udestue", "garage", "nedrivning", "sommerhus"),
        (
            "Du skal søge byggetilladelse, før du bygger en {subject} over {n} m².",
            "Ansøgningen om {subject} sender du gennem Byg og Miljø, og gebyret er {price} kr.",
            "Sagsbehandlingen af en {subject} tager normalt {n} uger, når ansøgningen er fuldstændig.",
            "Naboer på {street} bliver hørt, hvis din {subject} afviger fra lokalplanen.",
            "Du skal færdigmelde din {subject}, når byggeriet er afsluttet.",
        ),
    ),
    Topic(
        "sundhedskort",
        "Sundhedskort og læge",
        ("sundhedskort", "lægevalg", "gult kort", "blåt EU-sygesikringskort", "tandlæge"),
        (
            "Du kan bestille et nyt {subject} på borger.dk, og det koster {price} kr.",
            "Et {subject} bliver sendt til din adresse inden for {n} hverdage.",
            "Du kan skifte læge via {subject}, hvis lægen på {street} har åbent for tilgang.",
            "Hvis du har mistet dit {subject}, kan du bruge det digitale kort i appen i mellemtiden.",
        ),
    ),
    Topic(
        "boligstoette",
        "Boligstøtte og ydelser",
        ("boligstøtte", "boligydelse", "beboerindskudslån", "varmetillæg", "økonomisk friplads"),
        (
            "Du kan søge {subject} digitalt, og Udbetaling Danmark behandler ansøgningen.",
            "Din {subject} afhænger af husstandens indkomst, og den kan være op til {price} kr. om måneden.",
            "Du skal give besked inden {n} dage, hvis din indkomst eller husleje ændrer sig.",
            "Beboere på {street} kan få hjælp til at søge {subject} i Borgerservice.",
        ),
    ),
    Topic(
        "parkering",
        "Parkering og veje",
        ("beboerlicens", "handicapparkering", "vejarbejde", "snerydning", "parkeringsafgift"),
        (
            "En {subject} koster {price} kr. om året og gælder i zone {n}.",
            "Kommunen rydder sne på {street} fra kl. {hour}, når der er glat.",
            "Du søger {subject} på kommunens selvbetjening, og du får svar inden {n} dage.",
            "Hvis du er uenig i en {subject}, kan du klage inden {n} uger.",
        ),
    ),
    Topic(
        "skole-og-dagtilbud",
        "Skole og dagtilbud",
        ("vuggestue", "børnehave", "skolestart", "SFO", "pladsanvisning", "skolebus"),
        (
            "Du skriver dit barn op til {subject} på Pladsanvisningens selvbetjening.",
            "En plads i {subject} koster {price} kr. om måneden i 2026.",
            "Du skal skrive dit barn op senest {n} måneder før, det skal starte.",
            "Skolen på {street} holder informationsmøde om {subject} kl. {hour}.",
        ),
    ),
)
STREETS = ("Rådhuspladsen", "Skolevej", "Kirkegade", "Havnevej", "Søndergade", "Bøgeallé", "Stationsvej", "Møllevej")
CONNECTORS = (
    "Læs mere herunder.",
    "Kontakt Borgerservice, hvis du har spørgsmål.",
    "Du finder blanketterne på selvbetjeningen.",
    "Reglerne følger den gældende lovgivning og kommunens egne retningslinjer.",
    "Kommunen behandler dine oplysninger fortroligt.",
    "Vær opmærksom på, at reglerne kan ændre sig fra år til år.",
)
SECTION_HEADINGS = (
    "Sådan gør du",
    "Hvad koster det",
    "Hvem kan søge",
    "Sagsbehandlingstid",
    "Regler og vilkår",
    "Hvis du har spørgsmål",
    "Klagevejledning",
    "Åbningstider",
)
TITLE_ENDINGS = ("sådan gør du", "regler og priser", "ofte stillede spørgsmål", "ansøgning", "vejledning")
# What a CMS puts in every page's head: weight that every crawler downloads and parses.
HEAD_SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    + "".join(f"gtag('config','SITE-{i:04d}',{{anonymize_ip:true,cookie_flags:'SameSite=None;Secure'}});" for i in range(40))
    + "</script>"
)
MENU = ("Borger", "Erhverv", "Politik og demokrati", "Kultur og fritid", "Job i kommunen", "Kontakt")


@dataclass(frozen=True)
class Site:
    """A generated site of `pages` pages at `origin` (scheme://host:port, no trailing slash)."""

    origin: str
    pages: int
    seed: int = 1
    sitemap_max_urls: int = SITEMAP_MAX_URLS

    def path(self, n: int) -> str:
        if n == 0:
            return "/"
        topic = TOPICS[n % len(TOPICS)]
        return f"/borger/{topic.slug}/side-{n}"

    def url(self, n: int) -> str:
        return self.origin + self.path(n)

    def page_number(self, path: str) -> int | None:
        """The page a path names, or None where the site has no such page."""
        if path == "/":
            return 0
        stem, _, number = path.rpartition("/side-")
        if not number.isdigit() or number.startswith("0"):
            return None
        n = int(number)
        return n if 0 < n < self.pages and self.path(n) == path else None

    def landing(self, n: int) -> int:
        """The first page of page `n`'s topic: what menus and breadcrumbs point to."""
        return (n % len(TOPICS) or len(TOPICS)) % self.pages

    def lastmod(self, n: int) -> date:
        return LASTMOD_EPOCH + timedelta(days=(n * 37 + self.seed) % 600)

    def etag(self, n: int) -> str:
        return '"' + hashlib.sha1(f"{self.seed}:{self.pages}:{n}".encode()).hexdigest()[:16] + '"'

    def links(self, n: int) -> list[int]:
        """5-15 internal links; the next page always among them, so links alone reach every page."""
        rng = self._rng(n, "links")
        targets = [(n + 1) % self.pages]
        for _ in range(rng.randint(4, 14)):
            targets.append(rng.randrange(self.pages))
        return targets

    def render(self, n: int) -> str:
        rng = self._rng(n, "page")
        topic = TOPICS[n % len(TOPICS)]
        subject = rng.choice(topic.subjects)
        title = "Forside" if n == 0 else f"{subject[0].upper()}{subject[1:]} – {rng.choice(TITLE_ENDINGS)}"
        menu = "".join(
            f'<li><a href="{self.path(self.landing(i + 1))}">{escape(item)}</a></li>' for i, item in enumerate(MENU)
        )
        topics = "".join(
            f'<li><a href="{self.path(self.landing(i))}">{escape(t.name)}</a></li>' for i, t in enumerate(TOPICS)
        )
        related = "".join(
            f'<li><a href="{self.path(target)}">Læs om {escape(rng.choice(TOPICS[target % len(TOPICS)].subjects))}</a></li>'
            for target in self.links(n)
        )
        external = '<p>Se også <a href="https://www.borger.dk/">borger.dk</a>.</p>' if n % 5 == 0 else ""
        return (
            '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
            f"<title>{escape(title)} | {MUNICIPALITY}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="stylesheet" href="/static/site.css"><link rel="canonical" href="{self.url(n)}">'
            f"{HEAD_SCRIPT}</head><body>"
            '<div id="cookie-consent" class="cookie-banner" role="dialog"><p>Vi bruger cookies til at forbedre '
            "din oplevelse og til anonym statistik. Du kan altid trække dit samtykke tilbage.</p>"
            "<button>Accepter alle</button><button>Kun nødvendige</button></div>"
            f'<header><a class="logo" href="/">{MUNICIPALITY}</a><nav class="main-menu"><ul>{menu}</ul></nav>'
            f'<nav class="breadcrumb"><a href="/">Forside</a> › <a href="{self.path(self.landing(n))}">'
            f"{escape(topic.name)}</a></nav></header>"
            f'<div class="layout"><aside class="sidebar"><nav><h2>Emner</h2><ul>{topics}</ul></nav></aside>'
            f"<main><article><h1>{escape(title)}</h1>{self._body(rng, topic, subject)}{external}</article>"
            f'<section class="related"><h2>Relaterede sider</h2><ul>{related}</ul></section></main></div>'
            f'<footer><p>{MUNICIPALITY}, Rådhuspladsen 1, 9999 Bækby. Telefon 70 70 12 34. CVR 12345678.</p>'
            f'<ul><li><a href="{self.path(self.landing(7))}">Tilgængelighedserklæring</a></li>'
            f'<li><a href="{self.path(self.landing(8))}">Privatlivspolitik</a></li></ul></footer>'
            "</body></html>"
        )

    def robots_txt(self) -> str:
        return f"User-agent: *\nAllow: /\n\nSitemap: {self.origin}/sitemap.xml\n"

    def sitemap_count(self) -> int:
        return -(-self.pages // self.sitemap_max_urls)

    def sitemap_index(self) -> str:
        entries = "".join(
            f"<sitemap><loc>{self.origin}/sitemap-{i + 1}.xml</loc></sitemap>" for i in range(self.sitemap_count())
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
        )

    def sitemap(self, number: int) -> str | None:
        """Sitemap `number` (from 1), or None past the last."""
        if not 1 <= number <= self.sitemap_count():
            return None
        first = (number - 1) * self.sitemap_max_urls
        entries = "".join(
            f"<url><loc>{xml_escape(self.url(n))}</loc><lastmod>{self.lastmod(n).isoformat()}</lastmod></url>"
            for n in range(first, min(first + self.sitemap_max_urls, self.pages))
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        )

    def _body(self, rng: random.Random, topic: Topic, subject: str) -> str:
        parts = [f'<p class="lead">{escape(self._sentence(rng, topic, subject))} {escape(rng.choice(CONNECTORS))}</p>']
        for heading in rng.sample(SECTION_HEADINGS, rng.randint(2, 4)):
            parts.append(f"<h2>{escape(heading)}</h2>")
            for _ in range(rng.randint(1, 3)):
                sentences = [self._sentence(rng, topic, rng.choice(topic.subjects)) for _ in range(rng.randint(2, 5))]
                parts.append(f"<p>{escape(' '.join(sentences))}</p>")
            if heading == "Hvad koster det":
                rows = "".join(
                    f"<tr><td>{escape(item.capitalize())}</td><td>{rng.randint(2, 400) * 10} kr.</td></tr>"
                    for item in rng.sample(topic.subjects, 3)
                )
                parts.append(f"<table><tr><th>Ydelse</th><th>Pris</th></tr>{rows}</table>")
            elif heading == "Sådan gør du":
                steps = "".join(f"<li>{escape(self._sentence(rng, topic, subject))}</li>" for _ in range(3))
                parts.append(f"<ol>{steps}</ol>")
        return "".join(parts)

    def _sentence(self, rng: random.Random, topic: Topic, subject: str) -> str:
        return rng.choice(topic.facts).format(
            subject=subject,
            n=rng.randint(2, 30),
            hour=rng.randint(6, 10),
            price=rng.randint(5, 900) * 5,
            street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        )

    def _rng(self, n: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{purpose}:{n}")
