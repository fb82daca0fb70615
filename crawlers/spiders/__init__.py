"""Spiders: one generic listing spider driven by source files."""
