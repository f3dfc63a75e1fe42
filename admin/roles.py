"""The four roles and what each may see and do; every handler asks here, nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Role(Enum):
    CONSORTIUM_ADMIN = "consortium-admin"  # every municipality, every user, the whole audit log
    MUNICIPALITY_ADMIN = "municipality-admin"  # own municipality: its users, content, statistics, integrations
    CONTENT_EDITOR = "content-editor"  # own municipality's local content and guides
    AGENT = "agent"  # the contact centre: the agents' page of every municipality, guides read-only

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def needs_municipality(self) -> bool:
        return self in (Role.MUNICIPALITY_ADMIN, Role.CONTENT_EDITOR)

    @property
    def needs_second_factor(self) -> bool:
        return self is Role.CONSORTIUM_ADMIN


_LABELS = {
    Role.CONSORTIUM_ADMIN: "Konsortieadministrator",
    Role.MUNICIPALITY_ADMIN: "Kommuneadministrator",
    Role.CONTENT_EDITOR: "Indholdsredaktør",
    Role.AGENT: "Agent",
}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    municipality: str | None
    active: bool
    has_second_factor: bool
    created_at: datetime
    last_login_at: datetime | None
    inactivity_warned_at: datetime | None

    @property
    def is_consortium_admin(self) -> bool:
        return self.role is Role.CONSORTIUM_ADMIN


def may_view_municipality(user: User, slug: str) -> bool:
    """The municipality's pages: its own staff, the consortium's admins, and agents (who answer for all)."""
    return user.role in (Role.CONSORTIUM_ADMIN, Role.AGENT) or user.municipality == slug


def may_send_sms_links(user: User, slug: str) -> bool:
    """The agents' page: agents and consortium admins for every municipality, municipality admins for their own."""
    if user.role in (Role.CONSORTIUM_ADMIN, Role.AGENT):
        return True
    return user.role is Role.MUNICIPALITY_ADMIN and user.municipality == slug


def may_view_integrations(user: User, slug: str) -> bool:
    """The integrations page (and its booking test): the consortium's admins, and the municipality's admins."""
    return user.is_consortium_admin or (user.role is Role.MUNICIPALITY_ADMIN and user.municipality == slug)


def may_start_crawl(user: User) -> bool:
    return user.is_consortium_admin


def may_set_retention(user: User) -> bool:
    return user.is_consortium_admin


def may_erase(user: User) -> bool:
    """Erasure on request: consortium admins, and municipality admins (their own municipality's conversations)."""
    return user.role in (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_ADMIN)


def may_erase_conversation(user: User, municipality: str) -> bool:
    return user.is_consortium_admin or (user.role is Role.MUNICIPALITY_ADMIN and user.municipality == municipality)


def may_view_statistics(user: User, slug: str) -> bool:
    """A municipality's statistics and exports: its own admins and the consortium's admins (agents do not)."""
    return user.is_consortium_admin or (user.role is Role.MUNICIPALITY_ADMIN and user.municipality == slug)


def may_read_transcripts(user: User, slug: str) -> bool:
    """A municipality's conversations (redacted): its own admins only, never another municipality's staff."""
    return user.role is Role.MUNICIPALITY_ADMIN and user.municipality == slug


def may_view_consortium_statistics(user: User) -> bool:
    """Every municipality side by side, and the consortium's export."""
    return user.is_consortium_admin


def may_manage_users(user: User) -> bool:
    return user.role in (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_ADMIN)


def may_read_audit(user: User) -> bool:
    return user.role in (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_ADMIN)


def audit_scope(user: User) -> str | None:
    """The municipality whose audit entries `user` sees; None: all of them (consortium admins only)."""
    return None if user.is_consortium_admin else user.municipality


def assignable_roles(user: User) -> tuple[Role, ...]:
    """The roles `user` may give: a municipality admin only its own municipality's staff roles."""
    if user.is_consortium_admin:
        return tuple(Role)
    if user.role is Role.MUNICIPALITY_ADMIN:
        return (Role.MUNICIPALITY_ADMIN, Role.CONTENT_EDITOR)
    return ()


def may_manage(user: User, other: User) -> bool:
    """Whether `user` may change `other` (deactivate, change the role): never oneself."""
    if user.id == other.id or not may_manage_users(user):
        return False
    if user.is_consortium_admin:
        return True
    return other.role in assignable_roles(user) and other.municipality == user.municipality


def may_read_content(user: User, slug: str) -> bool:
    """The municipality's local values and previews: whoever sees its pages (agents read them only)."""
    return may_view_municipality(user, slug)


def may_edit_content(user: User, slug: str) -> bool:
    """Publish and revert local values: the municipality's own admins and editors, and the consortium's admins."""
    if user.is_consortium_admin:
        return True
    return user.role in (Role.MUNICIPALITY_ADMIN, Role.CONTENT_EDITOR) and user.municipality == slug


def crisis_scope(user: User, known: frozenset[str]) -> frozenset[str]:
    """The municipalities whose crisis mode `user` may switch: any for consortium admins, own for municipality admins."""
    if user.is_consortium_admin:
        return known
    if user.role is Role.MUNICIPALITY_ADMIN and user.municipality in known:
        return frozenset({user.municipality})
    return frozenset()


def may_issue_api_keys(user: User) -> bool:
    """Staff API keys (the emergency systems' switch for crisis mode): consortium admins only."""
    return user.is_consortium_admin
