"""Setup-time builders for knowledge: artefacts made once by make setup, never committed."""
