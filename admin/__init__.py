"""The staff console under /admin: accounts, roles, sessions and the audit log, on the conversation core."""
