"""robots.txt as RFC 9309 reads it: groups, longest-match allow/disallow with * and $, crawl-delay."""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Rule:
    allow: bool
    pattern: str

    def matches(self, path: str) -> bool:
        return _compile(self.pattern).match(path) is not None


@dataclass(frozen=True)
class RobotsPolicy:
    """What one origin's robots.txt lets this crawler fetch.

    `refusal` is set when the file could not be read (5xx, unreachable): RFC 9309 says to
    assume complete disallow then, and the reason says why.
    """

    rules: tuple[Rule, ...] = ()
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()
    refusal: str | None = None

    @classmethod
    def allow_all(cls) -> RobotsPolicy:
        return cls()

    @classmethod
    def disallow_all(cls, refusal: str) -> RobotsPolicy:
        return cls(rules=(Rule(allow=False, pattern="/"),), refusal=refusal)

    def allows(self, path: str) -> bool:
        """Longest matching rule wins; on a tie allow wins; /robots.txt is always allowed."""
        target = _encode(path or "/")
        if target == "/robots.txt":
            return True
        best: Rule | None = None
        for rule in self.rules:
            if not rule.matches(target):
                continue
            if best is None or len(rule.pattern) > len(best.pattern) or (
                len(rule.pattern) == len(best.pattern) and rule.allow and not best.allow
            ):
                best = rule
        return best is None or best.allow


def parse_robots(text: str, product_token: str) -> RobotsPolicy:
    """The policy for `product_token` in a robots.txt body (the * group if no group names it)."""
    token = product_token.lower()
    groups: list[tuple[list[str], list[Rule], list[float]]] = []
    sitemaps: list[str] = []
    current: tuple[list[str], list[Rule], list[float]] | None = None
    in_agents = False
    # A byte-order mark (Windows editors write one) would make the first line "\ufeffUser-agent",
    # no field at all, and every rule of that group would be lost.
    for raw in text.removeprefix("\ufeff").splitlines():
        match = _LINE.match(raw.split("#", 1)[0])
        if match is None:
            continue
        key, value = match.group(1).lower(), match.group(2)
        if key == "sitemap":
            if value:
                sitemaps.append(value)
            continue
        if key == "user-agent":
            if current is None or not in_agents:
                current = ([], [], [])
                groups.append(current)
            current[0].append(value.lower())
            in_agents = True
            continue
        in_agents = False
        if current is None:
            continue  # rules before any user-agent line belong to no group
        if key in ("allow", "disallow"):
            if value:  # an empty disallow allows everything: no rule
                current[1].append(Rule(allow=key == "allow", pattern=_encode(value)))
        elif key == "crawl-delay":
            with contextlib.suppress(ValueError):  # a crawl-delay that is no number is ignored
                current[2].append(max(0.0, float(value)))
    chosen = [group for group in groups if any(_agent_matches(agent, token) for agent in group[0])]
    if not chosen:
        chosen = [group for group in groups if "*" in group[0]]
    rules = tuple(rule for group in chosen for rule in group[1])
    delays = [delay for group in chosen for delay in group[2]]
    return RobotsPolicy(rules=rules, crawl_delay=max(delays) if delays else None, sitemaps=tuple(sitemaps))


def _agent_matches(agent: str, token: str) -> bool:
    # RFC 9309 2.2.1: match the product token, case-insensitively; "*" is the fallback group.
    return agent != "*" and agent.split("/", 1)[0].strip() == token


def _encode(path: str) -> str:
    """Percent-encode the way RFC 9309 2.2.2 compares: octets above ASCII encoded, %xx upper-case."""
    return quote(unquote(path), safe="/?=&;:@!$'()*+,-._~%$")


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))
