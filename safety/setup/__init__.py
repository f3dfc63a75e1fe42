"""Setup-time builders for the safety screen: artefacts made once by make setup, never committed."""
