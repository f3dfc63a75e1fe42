"""Variables a guide can use, their values, and how values are written in Danish."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge._yaml import read_mapping, require
from knowledge.errors import KnowledgeDataError
from knowledge.kinds import InvalidValue, Kind, check

Scalar = str | int | float
SCOPES = frozenset({"builtin", "national", "local"})


@dataclass(frozen=True)
class Value:
    """One value of a variable; demo=True when it is not verified real data."""

    value: Scalar
    demo: bool = False

    def text(self) -> str:
        return format_value(self.value)


@dataclass(frozen=True)
class Variable:
    """A declared variable: label is the Danish name shown when its value is missing; kind says what fits."""

    name: str
    label: str
    scope: str
    kind: Kind = Kind.TEXT

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


def parse_value(raw: Any, where: str) -> Value:
    """Accept a plain scalar (verified) or {value: ..., demo: true|false}."""
    if isinstance(raw, dict):
        unknown = set(raw) - {"value", "demo"}
        if unknown:
            raise KnowledgeDataError(f"{where}: unknown keys {sorted(unknown)}")
        demo = raw.get("demo", False)
        if not isinstance(demo, bool):
            raise KnowledgeDataError(f"{where}: 'demo' must be true or false")
        return Value(_scalar(raw.get("value"), where), demo)
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
        unknown = set(entry) - {"label", "type", "scope"}
        if unknown:
            raise KnowledgeDataError(f"{where}: unknown keys {sorted(unknown)}")
        kind = require(entry, "type", str, where)
        if kind not in {k.value for k in Kind}:
            raise KnowledgeDataError(f"{where}: unknown type {kind!r}; one of {sorted(k.value for k in Kind)}")
        variable = Variable(
            name, require(entry, "label", str, where), require(entry, "scope", str, where), Kind(kind)
        )
        if variable.scope not in SCOPES:
            raise KnowledgeDataError(f"{where}: unknown scope {variable.scope!r}")
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
        value = parse_value(item, f"{where}.{name}")
        try:
            values[name] = Value(variable.check(value.value), value.demo)
        except InvalidValue as error:
            raise KnowledgeDataError(f"{where}.{name}: {error}") from None
    return values


def load_national(path: Path, variables: Mapping[str, Variable]) -> dict[str, Value]:
    """Read national.yml: defaults for national variables."""
    data = read_mapping(path)
    return parse_values(data.get("values"), variables, frozenset({"national"}), f"{path}: values")
