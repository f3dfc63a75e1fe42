"""How a guide becomes an answer: variable resolution, missing values, demo data."""

from __future__ import annotations

import logging

import pytest

from knowledge import GuideLibrary, Link
from knowledge.rendering import DEMO_NOTICE
from tests.knowledge.builders import guide

PHOTO_LINE = "Pasfoto koster {passport_photo_price} kr."
FEE_LINE = "Et pas koster {passport_fee_adult} kr."


def test_tenant_value_overrides_the_national_default(make_root):
    root = make_root(
        guides={"passport": guide(FEE_LINE)},
        national={"passport_fee_adult": 893},
        tenants={"alpha": {"variables": {"passport_fee_adult": 900}}, "beta": {}},
    )
    library = GuideLibrary.load(root)

    assert library.answer("passport", "alpha").text == "Et pas koster 900 kr."
    assert library.answer("passport", "beta").text == "Et pas koster 893 kr."


def test_builtins_are_always_available(make_root):
    line = "{municipality_name} ({code}, {slug}): {website}"
    library = GuideLibrary.load(make_root(guides={"passport": guide(line)}))

    assert library.answer("passport", "alpha").text == "Alpha Kommune (900, alpha): https://alpha.dk"


def test_numbers_are_written_the_danish_way(make_root):
    root = make_root(
        guides={"passport": guide(FEE_LINE, PHOTO_LINE)},
        national={"passport_fee_adult": 1234},
        tenants={"alpha": {"variables": {"passport_photo_price": 62.5}}},
    )

    assert GuideLibrary.load(root).answer("passport", "alpha").text == (
        "Et pas koster 1.234 kr.\nPasfoto koster 62,50 kr."
    )


def test_missing_value_drops_the_line_and_says_where_to_look(make_root, caplog):
    root = make_root(
        guides={"passport": guide("Bestil pas i Borgerservice.", PHOTO_LINE)},
        tenants={"alpha": {}},
    )
    caplog.set_level(logging.WARNING, logger="muni.knowledge.gaps")

    answer = GuideLibrary.load(root).answer("passport", "alpha")

    assert answer.text.splitlines() == [
        "Bestil pas i Borgerservice.",
        "Nogle lokale oplysninger (pris på pasfoto) har vi ikke her – se Alpha Kommunes hjemmeside: https://alpha.dk",
    ]
    assert answer.missing == ("passport_photo_price",)
    [record] = [r for r in caplog.records if r.name == "muni.knowledge.gaps"]
    assert record.levelno == logging.WARNING
    assert record.args == ("alpha", "passport", "passport_photo_price")


def test_several_missing_values_are_listed_once_each(make_root, caplog):
    lines = (PHOTO_LINE, "Foto igen: {passport_photo_price} kr.", "Bestil tid: {booking_url}")
    root = make_root(guides={"passport": guide(*lines)})
    caplog.set_level(logging.WARNING, logger="muni.knowledge.gaps")

    answer = GuideLibrary.load(root).answer("passport", "alpha")

    assert answer.missing == ("passport_photo_price", "booking_url")
    assert answer.text == (
        "Nogle lokale oplysninger (pris på pasfoto og link til tidsbestilling i Borgerservice) "
        "har vi ikke her – se Alpha Kommunes hjemmeside: https://alpha.dk"
    )
    assert [r.args[2] for r in caplog.records if r.name == "muni.knowledge.gaps"] == [
        "passport_photo_price",
        "booking_url",
    ]


def test_link_with_missing_url_variable_is_dropped(make_root):
    links = [
        {"title": "Bestil tid", "url": "{booking_url}"},
        {"title": "{municipality_name}s hjemmeside", "url": "{website}"},
    ]
    root = make_root(guides={"passport": guide("Bestil pas.", links=links)})

    answer = GuideLibrary.load(root).answer("passport", "alpha")

    assert answer.links == (Link("Alpha Kommunes hjemmeside", "https://alpha.dk"),)
    assert answer.missing == ("booking_url",)
    assert "{" not in answer.text


def test_no_missing_values_means_no_notice_and_no_warning(make_root, caplog):
    root = make_root(
        guides={"passport": guide(PHOTO_LINE)},
        tenants={"alpha": {"variables": {"passport_photo_price": 75}}},
    )
    caplog.set_level(logging.WARNING, logger="muni.knowledge.gaps")

    answer = GuideLibrary.load(root).answer("passport", "alpha")

    assert answer.text == "Pasfoto koster 75 kr."
    assert answer.missing == ()
    assert not [r for r in caplog.records if r.name == "muni.knowledge.gaps"]


@pytest.mark.parametrize(
    ("photo_price", "expect_demo"),
    [(75, False), ({"value": 75, "demo": True}, True)],
    ids=["verified", "demo"],
)
def test_demo_values_mark_the_answer(make_root, photo_price, expect_demo):
    root = make_root(
        guides={"passport": guide(PHOTO_LINE)},
        tenants={"alpha": {"variables": {"passport_photo_price": photo_price}}},
    )

    answer = GuideLibrary.load(root).answer("passport", "alpha")

    assert answer.demo is expect_demo
    assert (answer.text.splitlines()[-1] == DEMO_NOTICE) is expect_demo
    assert answer.text.count(DEMO_NOTICE) == int(expect_demo)


def test_demo_value_in_a_dropped_line_does_not_mark_the_answer(make_root):
    root = make_root(
        guides={"passport": guide("Bestil pas.", "{passport_fee_adult} kr. og {booking_url}")},
        national={"passport_fee_adult": {"value": 893, "demo": True}},
    )

    answer = GuideLibrary.load(root).answer("passport", "alpha")

    assert answer.demo is False
    assert DEMO_NOTICE not in answer.text


def test_municipality_guide_replaces_the_shared_guide(make_root):
    own = guide("Vores egen pasguide.", title="Pas hos Alpha")
    root = make_root(
        guides={"passport": guide("Den fælles pasguide.")},
        tenants={"alpha": {"guides": {"passport": own}}, "beta": {}},
    )
    library = GuideLibrary.load(root)

    assert (library.answer("passport", "alpha").title, library.answer("passport", "alpha").text) == (
        "Pas hos Alpha",
        "Vores egen pasguide.",
    )
    assert library.answer("passport", "beta").text == "Den fælles pasguide."
