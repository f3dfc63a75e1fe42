"""A tenant's embed settings: pages, origins and colour, defaulting to its own website."""

from __future__ import annotations

import pytest

from knowledge import GuideLibrary, KnowledgeDataError
from tests.knowledge.builders import guide

OK_GUIDE = {"passport": guide("Pas koster {passport_photo_price} kr.")}


def test_without_embed_the_website_is_the_only_origin(make_root):
    library = GuideLibrary.load(make_root(guides=OK_GUIDE, tenants={"alpha": {}}))
    alpha = library.municipality("alpha")
    assert (alpha.embed_pages, alpha.embed_origins, alpha.embed_colour) == ((), (), None)
    assert alpha.website_origins == (f"https://{alpha.website}", f"https://www.{alpha.website}")


def test_embed_settings_are_read(make_root):
    embed = {"pages": ["/borger/*"], "origins": ["https://www.alpha.dk", "http://127.0.0.1:8000"], "colour": "#00558C"}
    alpha = GuideLibrary.load(make_root(guides=OK_GUIDE, tenants={"alpha": {"embed": embed}})).municipality("alpha")
    assert alpha.embed_pages == ("/borger/*",)
    assert alpha.embed_origins == ("https://www.alpha.dk", "http://127.0.0.1:8000")
    assert alpha.embed_colour == "#00558C"


@pytest.mark.parametrize(
    ("embed", "message"),
    [
        ({"origins": ["alpha.dk"]}, "an origin is like"),
        ({"origins": ["https://alpha.dk/borger"]}, "an origin is like"),
        ({"origins": "https://alpha.dk"}, "list of strings"),
        ({"pages": [1]}, "list of strings"),
        ({"colour": "blue"}, "hex colour"),
        ({"colour": "#fff"}, "hex colour"),
        ({"colour": "#ffcc00"}, "too little contrast"),
        ({"colour": "#3399ff"}, "too little contrast"),
        ({"colours": "#ffffff"}, "embed is"),
        (["/borger/*"], "embed is"),
    ],
)
def test_bad_embed_settings_name_the_file(make_root, embed, message):
    with pytest.raises(KnowledgeDataError, match=message) as raised:
        GuideLibrary.load(make_root(guides=OK_GUIDE, tenants={"alpha": {"embed": embed}}))
    assert "alpha.yml" in str(raised.value)


def test_the_real_tenants_embed_where_they_said(make_root):
    library = GuideLibrary.load()
    assert library.municipality("aarhus").embed_colour == "#00558c"
    assert "/borger/*" in library.municipality("aarhus").embed_pages
