"""booking/openapi.yml documents exactly what the sandbox serves."""
from __future__ import annotations

from pathlib import Path

import yaml

from booking.sandbox.app import SandboxSettings, create_app

SPEC = Path(__file__).resolve().parents[2] / "booking" / "openapi.yml"


def test_the_spec_and_the_sandbox_have_the_same_operations(tmp_path: Path) -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    documented = {
        (method.upper(), path) for path, item in spec["paths"].items() for method in item if method != "parameters"
    }
    app = create_app(SandboxSettings(database=tmp_path / "s.db"))
    served = {
        (route.method, route.resource.canonical.removeprefix("/{municipality}/v1"))
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/{municipality}/v1")
        and route.method != "HEAD"
    }
    assert served == documented
