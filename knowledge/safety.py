"""Regional facts the emergency answer needs (knowledge/safety.yml)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

SAFETY_PATH = Path(__file__).with_name("safety.yml")


@dataclass(frozen=True)
class SafetyLines:
    doctor_lines: dict[str, str]
    regions: dict[str, str]
    fallback_doctor_line: str
    doctor_lines_en: dict[str, str]
    fallback_doctor_line_en: str
    doctor_numbers: dict[str, str] = field(default_factory=dict)
    fallback_doctor_number: str = "1813"

    @classmethod
    def load(cls, path: Path = SAFETY_PATH) -> SafetyLines:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            doctor_lines=dict(data["doctor_lines"]),
            regions=dict(data["regions"]),
            fallback_doctor_line=data["fallback_doctor_line"],
            doctor_lines_en=dict(data["doctor_lines_en"]),
            fallback_doctor_line_en=data["fallback_doctor_line_en"],
            doctor_numbers=dict(data.get("doctor_numbers") or {}),
            fallback_doctor_number=data.get("fallback_doctor_number", "1813"),
        )

    def doctor_line(self, slug: str | None, language: str = "da") -> str:
        """The medical helpline outside GP hours for the municipality's region (in English for "en")."""
        english = language == "en"
        region = self.regions.get(slug or "")
        if region is None:
            return self.fallback_doctor_line_en if english else self.fallback_doctor_line
        return (self.doctor_lines_en if english else self.doctor_lines)[region]

    def doctor_number(self, slug: str | None) -> str:
        """The same helpline as a number only (for answers in other languages than Danish)."""
        region = self.regions.get(slug or "")
        if region is None or region not in self.doctor_numbers:
            return self.fallback_doctor_number
        return self.doctor_numbers[region]
