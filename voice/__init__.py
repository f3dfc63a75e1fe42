"""The phone IVR: Twilio's voice webhooks under /voice/, mounted in the gateway."""
