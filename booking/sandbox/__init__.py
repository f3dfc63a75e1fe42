"""SANDBOX booking server: a stand-in for a municipality's FrontDesk, speaking booking/openapi.yml.

Invented calendars, clearly labelled as a sandbox in every response. Never a
real booking: `make run` starts it only when no real booking API is configured.
"""
