"""Variables a guide can use, their values, and how values are written in Danish and in English.

Prose values (a variable declared `prose: true`, e.g. how to collect a passport) are Danish
sentences. A tenant may give the English sentence beside it (`{value: ..., en: ...}`); where it
does not, an English answer shows the Danish sentence as it stands, marked "(in Danish)", rather
than leave the fact out or translate it by machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from knowledge._yaml import read_mapping, require
from knowledge.errors import KnowledgeDataError
from knowledge.kinds import InvalidValue, Kind, check

Scalar = str | int | float
SCOPES = frozenset({"builtin", "national", "local"})
IN_DANISH_MARK = "(in Danish)"


@dataclass(frozen=True)
class Value:
    """One value of a variable; demo=True when it is not verified real data."""

    value: Scalar
    demo: bool = False
    english: str | None = None  # a prose value's English sentence, where the tenant wrote one

    def text(self, language: str = "da", prose: bool = False) -> str:
        """The value as written in an answer in `language` (see the module's rule for prose)."""
        if language != "en":
            return format_value(self.value)
        if self.english is not None:
            return self.english
        if prose:
            return f"{format_value(self.value)} {IN_DANISH_MARK}"
        return format_english(self.value)


@dataclass(frozen=True)
class Variable:
    """A declared variable: label (label_en) is the name shown when its value is missing; kind says what fits.

    prose: its values are Danish sentences (not names, numbers, phones or addresses), so an
    English answer needs the tenant's English version or marks the Danish one.
    """

    name: str
    label: str
    scope: str
    kind: Kind = Kind.TEXT
    label_en: str = ""
    prose: bool = False

    def label_in(self, language: str) -> str:
        return self.label_en if language == "en" and self.label_en else self.label

    def check(self, raw: object) -> Scalar:
        """The value in normal form, or InvalidValue with a Danish message saying what is wrong."""
        return check(self.kind, raw)


def format_value(value: Scalar) -> str:
    """Write a value as a Danish text: 1234 -> '1.234', 559.4 -> '559,40'."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a guide value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        return f"{value:,.2f}".translate(str.maketrans(",.", ".,"))
    return value


def format_english(value: Scalar) -> str:
    """Write a value for an English text: 1234 -> '1,234', 559.4 -> '559.40'; texts as they are."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a guide value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return value


def parse_value(raw: Any, where: str, prose: bool = False) -> Value:
    """Accept a plain scalar (verified) or {value: ..., demo: true|false, en: ...} (en: prose only)."""
    if isinstance(raw, dict):
        unknown = set(raw) - {"value", "demo", "en"}
        if unknown:
            raise KnowledgeDataError(f"{where}: unknown keys {sorted(unknown)}")
        demo = raw.get("demo", False)
        if not isinstance(demo, bool):
            raise KnowledgeDataError(f"{where}: 'demo' must be true or false")
        english = raw.get("en")
        if english is not None:
            if not prose:
                raise KnowledgeDataError(f"{where}: 'en' is only for prose variables (prose: true in variables.yml)")
            if not isinstance(english, str) or not english.strip():
                raise KnowledgeDataError(f"{where}: 'en' must be a non-empty text")
        return Value(_scalar(raw.get("value"), where), demo, english)
    return Value(_scalar(raw, where))


def _scalar(raw: Any, where: str) -> Scalar:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise KnowledgeDataError(f"{where}: a value must be a text or a number, got {raw!r}")
    if isinstance(raw, str) and not raw.strip():
        raise KnowledgeDataError(f"{where}: empty text (leave the variable out instead)")
    return raw


def load_variables(path: Path) -> dict[str, Variable]:
    """Read variables.yml: every variable a guide may use, with its Danish label."""
    entries = require(read_mapping(path), "variables", dict, str(path))
    variables: dict[str, Variable] = {}
    for name, entry in entries.items():
        where = f"{path}: variables.{name}"
        if not isinstance(entry, dict):
            raise KnowledgeDataError(f"{where}: expected a mapping")
        unknown = set(entry) - {"label", "label_en", "type", "scope", "prose"}
        if unknown:
            raise KnowledgeDataError(f"{where}: unknown keys {sorted(unknown)}")
        kind = require(entry, "type", str, where)
        if kind not in {k.value for k in Kind}:
            raise KnowledgeDataError(f"{where}: unknown type {kind!r}; one of {sorted(k.value for k in Kind)}")
        variable = Variable(
            name,
            require(entry, "label", str, where),
            require(entry, "scope", str, where),
            Kind(kind),
            label_en=require(entry, "label_en", str, where),
            prose=entry.get("prose", False),
        )
        if variable.scope not in SCOPES:
            raise KnowledgeDataError(f"{where}: unknown scope {variable.scope!r}")
        if not isinstance(variable.prose, bool):
            raise KnowledgeDataError(f"{where}: 'prose' must be true or false")
        variables[name] = variable
    return variables


def parse_values(
    raw: Any,
    variables: Mapping[str, Variable],
    scopes: frozenset[str],
    where: str,
) -> dict[str, Value]:
    """Parse a name -> value mapping, allowing only declared variables of the given scopes."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise KnowledgeDataError(f"{where}: expected a mapping of variables")
    values: dict[str, Value] = {}
    for name, item in raw.items():
        variable = variables.get(name)
        if variable is None:
            raise KnowledgeDataError(f"{where}: undeclared variable {name!r} (add it to variables.yml)")
        if variable.scope not in scopes:
            raise KnowledgeDataError(
                f"{where}: {name!r} is a {variable.scope} variable and cannot be set here"
            )
        value = parse_value(item, f"{where}.{name}", prose=variable.prose)
        try:
            values[name] = replace(value, value=variable.check(value.value))
        except InvalidValue as error:
            raise KnowledgeDataError(f"{where}.{name}: {error}") from None
    return values


def load_national(path: Path, variables: Mapping[str, Variable]) -> dict[str, Value]:
    """Read national.yml: defaults for national variables."""
    data = read_mapping(path)
    return parse_values(data.get("values"), variables, frozenset({"national"}), f"{path}: values")
