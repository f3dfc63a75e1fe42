"""Danish municipal pages as the crawler meets them: banner, menu, footer around the content."""

from __future__ import annotations

COOKIE_BANNER = (
    '<div id="cookie-consent" class="cookie-banner" role="dialog">'
    "<p>Vi bruger cookies for at give dig den bedste oplevelse af kommunens hjemmeside. "
    "Du kan til enhver tid trække dit samtykke tilbage.</p>"
    '<button class="accept">Accepter alle cookies</button><button>Kun nødvendige</button></div>'
)
MENU = (
    '<header class="site-header"><a class="logo" href="/">Roskilde Kommune</a>'
    '<nav class="main-navigation" aria-label="Hovedmenu"><ul>'
    '<li><a href="/borger">Borger</a></li><li><a href="/erhverv">Erhverv og iværksætteri</a></li>'
    '<li><a href="/politik">Politik og demokrati</a></li><li><a href="/job">Job i kommunen</a></li>'
    "</ul></nav>"
    '<nav class="breadcrumb"><a href="/">Forside</a> › <a href="/borger">Borger</a> › Affald</nav></header>'
)
FOOTER = (
    '<footer class="site-footer"><div class="contact"><h2>Kontakt kommunen</h2>'
    "<p>Roskilde Kommune, Rådhusbuen 1, 4000 Roskilde. Telefon 46 31 30 00. CVR-nummer 29189404.</p></div>"
    '<ul><li><a href="/tilgaengelighed">Tilgængelighedserklæring</a></li>'
    '<li><a href="/privatliv">Privatlivspolitik og behandling af personoplysninger</a></li></ul></footer>'
)
WASTE_CONTENT = """
<h1>Affald og genbrug</h1>
<p class="lead">Her kan du læse, hvordan du sorterer dit affald, og hvornår det bliver hentet.
Kommunen henter dagrenovation hos alle husstande hver anden uge.</p>
<h2>Tømning af skraldespande</h2>
<p>Din skraldespand bliver tømt hver 14. dag. Du skal stille den ud til vejen senest kl. 6 om morgenen
på tømmedagen. Hvis din skraldespand ikke er blevet tømt, kan du kontakte affaldsselskabet ARGO.</p>
<h3>Storskrald</h3>
<p>Du kan bestille afhentning af storskrald på selvbetjeningen. Storskrald hentes en gang om måneden,
og du skal stille det ud senest kl. 6 på afhentningsdagen.</p>
<h2>Priser for 2026</h2>
<table>
<thead><tr><th>Ydelse</th><th>Pris om året</th></tr></thead>
<tbody><tr><td>Dagrenovation, 240 liter</td><td>2.450 kr.</td></tr>
<tr><td>Haveaffald</td><td>650 kr.</td></tr></tbody>
</table>
<p>Priserne fastsættes af byrådet hvert år i forbindelse med budgettet.</p>
"""


def municipal_page(content: str = WASTE_CONTENT, *, title: str = "Affald og genbrug | Roskilde Kommune") -> str:
    """A whole page: the municipality's chrome around `content` in an <article>."""
    return (
        f'<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body>{COOKIE_BANNER}{MENU}<main><article>{content}</article></main>{FOOTER}</body></html>"
    )
