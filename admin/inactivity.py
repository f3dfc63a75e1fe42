"""Users who stop logging in: warned at 335 days, deactivated with their personal data removed at 365."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from admin.audit import AuditLog
from admin.users import UserStore

WARN_AFTER = timedelta(days=335)
REMOVE_AFTER = timedelta(days=365)


@dataclass
class InactivityReport:
    warned: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)


def inactive_since(last_login_at: datetime | None, created_at: datetime) -> datetime:
    """A user who never logged in counts from the day the account was made."""
    return last_login_at or created_at


async def expire_inactive(users: UserStore, audit: AuditLog, at: datetime) -> InactivityReport:
    """Warn and remove as due; idempotent, so the daily job and `muni admin expire-inactive` may both run."""
    report = InactivityReport()
    for user in await users.listing():
        idle = at - inactive_since(user.last_login_at, user.created_at)
        if idle >= REMOVE_AFTER:
            await users.remove_personal_data(user.id, at)  # also ends every session
            await audit.record(
                "user.removed_inactive",
                at,
                municipality=user.municipality,
                target_user_id=user.id,
                before={"active": user.active, "role": user.role.value},
                after={"active": False, "personal_data": "removed"},
                days_inactive=idle.days,
            )
            report.removed.append(user.id)
        elif idle >= WARN_AFTER and user.inactivity_warned_at is None and user.active:
            await users.mark_warned(user.id, at)
            removal = inactive_since(user.last_login_at, user.created_at) + REMOVE_AFTER
            await audit.record(
                "user.inactivity_warning",
                at,
                municipality=user.municipality,
                target_user_id=user.id,
                days_inactive=idle.days,
                removal_on=removal.date().isoformat(),
            )
            report.warned.append(user.id)
    return report
