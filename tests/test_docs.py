"""The README documents every command and every CERTWATCH_* setting the code reads."""

import argparse
import re

from certwatch.cli import build_parser
from tests.conftest import REPO

README = (REPO / "README.md").read_text("utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "certwatch") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _commands(sub, f"{prefix} {name}")
                found.extend(nested or [f"{prefix} {name}"])
    return found


def test_every_command_is_in_the_readme() -> None:
    commands = _commands(build_parser())
    assert "certwatch crawl" in commands and "certwatch db upgrade" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_environment_setting_is_in_the_readme() -> None:
    code = "\n".join(p.read_text("utf-8") for folder in ("certwatch", "crawlers", "store")
                     for p in (REPO / folder).rglob("*.py"))
    code += (REPO / "tools" / "ensure-browser.sh").read_text("utf-8")
    names = set(re.findall(r"environ(?:\.get\(|\[)\s*[\"'](CERTWATCH_[A-Z_]+)", code))
    names |= set(re.findall(r"env\.get\(\"(CERTWATCH_[A-Z_]+)", code))
    names |= set(re.findall(r"\$\{?(CERTWATCH_[A-Z_]+)", code))
    assert {"CERTWATCH_HOME", "CERTWATCH_DB_URL", "CERTWATCH_CHROMIUM"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"settings missing from README.md: {missing}"
