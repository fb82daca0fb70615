"""Lookalike government query sites: name analysis, discovery, page analysis and the hunt."""
