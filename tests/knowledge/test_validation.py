"""Bad data fails at load time, with an error that names the file."""

from __future__ import annotations

import pytest

from knowledge import GuideLibrary, KnowledgeDataError
from tests.knowledge.builders import guide

OK_GUIDE = {"passport": guide("Bestil pas i {municipality_name}.")}


def test_minimal_tree_loads(make_root):
    library = GuideLibrary.load(make_root(guides=OK_GUIDE))

    assert set(library.municipalities) == {"alpha"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Pris: {no_such_variable} kr.", "undeclared variables"),
        ("Pris: {passport_photo_price kr.", "stray brace"),
        ("Pris: {Passport_Photo_Price} kr.", "stray brace"),
    ],
)
def test_bad_guide_template(make_root, line, message):
    root = make_root(guides={"passport": guide(line)})

    with pytest.raises(KnowledgeDataError, match=message) as raised:
        GuideLibrary.load(root)

    assert "passport.yml" in str(raised.value)


def test_guide_topic_must_have_a_guide(make_root):
    with pytest.raises(KnowledgeDataError, match="no guide for \\['passport'\\]"):
        GuideLibrary.load(make_root(guides={}))


def test_guide_file_for_unknown_topic(make_root):
    root = make_root(guides={**OK_GUIDE, "astrology": guide("Nej.")})

    with pytest.raises(KnowledgeDataError, match="astrology"):
        GuideLibrary.load(root)


@pytest.mark.parametrize(
    ("tenant", "message"),
    [
        ({"variables": {"municipality_name": "Anden Kommune"}}, "builtin variable"),
        ({"variables": {"pasfoto_pris": 75}}, "undeclared variable"),
        ({"variables": {"passport_photo_price": True}}, "text or a number"),
        ({"variables": {"passport_photo_price": {"value": 75, "demo": "ja"}}}, "'demo' must be"),
        ({"guides": {"astrology": guide("Nej.")}}, "unknown topic"),
        ({"website": "https://alpha.dk"}, "bare host name"),
        ({"slug": "beta"}, "must match the file name"),
        ({"colour": "blue"}, "unknown keys"),
    ],
)
def test_bad_tenant_file(make_root, tenant, message):
    root = make_root(guides=OK_GUIDE, tenants={"alpha": tenant})

    with pytest.raises(KnowledgeDataError, match=message) as raised:
        GuideLibrary.load(root)

    assert "alpha.yml" in str(raised.value)


def test_national_file_cannot_set_local_values(make_root):
    root = make_root(guides=OK_GUIDE, national={"passport_photo_price": 75})

    with pytest.raises(KnowledgeDataError, match="local variable"):
        GuideLibrary.load(root)


def test_two_tenants_cannot_share_a_code(make_root):
    root = make_root(guides=OK_GUIDE, tenants={"alpha": {"code": 1}, "beta": {"code": 1}})

    with pytest.raises(KnowledgeDataError, match="share a municipality code"):
        GuideLibrary.load(root)
