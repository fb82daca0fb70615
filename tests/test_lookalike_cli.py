"""`certwatch check-domain`: the JSON-lines contract, bad lines, exit status, offline."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from certwatch.cli import main
from tests.conftest import certwatch


def test_contract_with_file_comments_and_bad_names(tmp_path: Path) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("# today's suspects\n\nzlaq.mohurd.gov.cn\n  mohurd-gov.cn  \n"
                       "bad..name\n# another comment\nwww.baidu.com   # a note\n", "utf-8")
    proc = certwatch("check-domain", "tzzy-cx.com", "--in", str(listing), home=tmp_path,
                     check=False)
    assert proc.returncode == 2
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines == [
        {"domain": "tzzy-cx.com", "label": "lookalike", "score": 0.51,
         "imitates": "cx.mem.gov.cn", "reasons": ["token:tzzy", "query-word:cx"]},
        {"domain": "zlaq.mohurd.gov.cn", "label": "official", "score": 0.0, "imitates": None,
         "reasons": ["official-site:zlaq.mohurd.gov.cn"]},
        {"domain": "mohurd-gov.cn", "label": "lookalike", "score": 0.9,
         "imitates": "www.mohurd.gov.cn", "reasons": ["brand:mohurd", "gov-before-cn"]},
        {"domain": "bad..name",
         "error": "'bad..name': bad label '' (1–63 letters, digits or inner hyphens)"},
        {"domain": "www.baidu.com", "label": "benign", "score": 0.0, "imitates": None,
         "reasons": []},
    ]
    assert proc.stderr.strip() == ("certwatch: error: 1 invalid domain name(s); each got an "
                                   "error line")


def test_all_valid_exits_zero_and_reads_stdin(tmp_path: Path) -> None:
    proc = certwatch("check-domain", "--in", "-", home=tmp_path,
                     stdin="住建部查询.com\nxn--mhurd-jye.com\n")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["domain"] for r in rows] == ["住建部查询.com", "mоhurd.com"]
    assert all(r["label"] == "lookalike" for r in rows)
    assert set(rows[0]) == {"domain", "label", "score", "imitates", "reasons"}


@pytest.mark.parametrize(("args", "message"), [
    ((), "give DOMAIN arguments or --in FILE"),
    (("mohurd.com", "--in", "/nonexistent/domains.txt"),
     "cannot read /nonexistent/domains.txt: No such file or directory"),
])
def test_usage_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    proc = certwatch("check-domain", *args, home=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == f"certwatch: error: {message}"


def test_user_watchlist_in_certwatch_home(tmp_path: Path) -> None:
    (tmp_path / "official_sites.yaml").write_text(
        "sites:\n  - host: zscx.example-authority.org.cn\n    name: 示例证书查询\n"
        "    brands: [exampleauthority]\n", "utf-8")
    proc = certwatch("check-domain", "example-authority-cx.com",
                     "zscx.example-authority.org.cn", home=tmp_path)
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["label"] == "lookalike"
    assert first["imitates"] == "zscx.example-authority.org.cn"
    assert second["label"] == "official"


def test_offline(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 tmp_path: Path) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setenv("CERTWATCH_HOME", str(tmp_path))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert main(["check-domain", "zlaq.mohurd.gov.cn.example.com"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["label"] == "lookalike" and row["imitates"] == "zlaq.mohurd.gov.cn"
