"""The content grammar: writers per kind, evasion tricks, site mixes and night mutations."""
