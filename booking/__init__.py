"""Appointment booking in the citizen service: the port, the FrontDesk-style adapter and a sandbox.

Plain Python, no Rasa: the action server uses it through `BookingPort`.
"""

from booking.model import (
    Booking,
    BookingError,
    BookingNotFound,
    BookingPort,
    BookingUnavailable,
    Hold,
    HoldExpired,
    Location,
    OutcomeUnknown,
    Service,
    Slot,
    SlotTaken,
)

__all__ = [
    "Booking",
    "BookingError",
    "BookingNotFound",
    "BookingPort",
    "BookingUnavailable",
    "Hold",
    "HoldExpired",
    "Location",
    "OutcomeUnknown",
    "Service",
    "Slot",
    "SlotTaken",
]
