"""Compile a word list into one regex shaped like a trie (fast alternation, longest first).

Python's `re` tries alternatives one by one; a trie-shaped pattern shares prefixes, so
matching a few hundred tokens costs about as much as matching a handful.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def pattern(words: Iterable[str]) -> str:
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _render(trie) if trie else "(?!)"


def _render(node: dict) -> str:
    ends = "" in node
    branches = [re.escape(char) + _render(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:  # greedy optional: the longer word wins
        return f"(?:{body})?"
    return body
