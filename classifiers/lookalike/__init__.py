"""Lookalike government sites, the name side: watchlist, offline name analysis, discovery.

Stable API (used by the page side and the CLI):
`watchlist.load_watchlist`, `names.analyze_domain`, `discovery.candidates`.
"""
