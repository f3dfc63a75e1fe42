"""Safety before understanding: emergencies and crises of life recognised before the NLU (issue 17).

`safety.screen` recognises them (explicit patterns, then multilingual embeddings),
`safety.answers` says the right number first in Danish and the citizen's language,
`safety.language` detects the language a citizen writes in. Pure Python: no aiohttp,
no Rasa; the data (patterns, examples, texts, calibration) are YAML files beside it.
"""
