"""The gateway: the only public-facing process (chat API, health, readiness)."""
