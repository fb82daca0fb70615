"""The stored fingerprint of an official query site, made from a capture of it.

Saved as JSON under `CERTWATCH_HOME/lookalike/fingerprints/<domain>.json`: titles, text
shingles (numbers, not text), what its forms ask for, emblem/logo perceptual hashes and the
ICP/公安备案 numbers its footer claims, with the capture directory they came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.lookalike import forms, icp, similarity
from classifiers.lookalike.capture import PageCapture
from classifiers.lookalike.errors import LookalikeError

FORMAT = 1


class FingerprintError(LookalikeError):
    """A stored fingerprint file is unreadable or of another format; rebuild it."""


@dataclass
class Fingerprint:
    domain: str
    created_at: str
    urls: list[str]
    titles: list[str]
    shingles: set[int]
    forms: list[list[str]]
    emblems: list[dict[str, Any]]
    claims: icp.Claims
    capture_dir: str = ""
    browser: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "domain": self.domain, "created_at": self.created_at,
                "urls": self.urls, "titles": self.titles, "shingles": sorted(self.shingles),
                "forms": self.forms, "emblems": self.emblems, "claims": self.claims.as_json(),
                "capture_dir": self.capture_dir, "browser": self.browser}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        if data.get("format") != FORMAT:
            raise FingerprintError(f"fingerprint format {data.get('format')!r}, need {FORMAT}")
        return cls(domain=data["domain"], created_at=data["created_at"], urls=data["urls"],
                   titles=data["titles"], shingles=set(data["shingles"]), forms=data["forms"],
                   emblems=data["emblems"],
                   claims=icp.Claims(tuple(data["claims"]["icp"]),
                                     tuple(data["claims"]["gongan"])),
                   capture_dir=data.get("capture_dir", ""), browser=data.get("browser", ""))


def from_captures(domain: str, pages: list[PageCapture], created_at: str, capture_dir: str = "",
                  browser: str = "") -> Fingerprint:
    pages = [p for p in pages if p.error is None or p.text]
    text = "\n".join(p.text for p in pages)
    emblems = list({i["phash"]: {"src": i["src"], "phash": i["phash"], "dhash": i["dhash"]}
                    for p in pages for i in p.images}.values())
    claims = icp.Claims(tuple(dict.fromkeys(c for p in pages for c in p.claims.icp)),
                        tuple(dict.fromkeys(c for p in pages for c in p.claims.gongan)))
    return Fingerprint(domain=domain, created_at=created_at, urls=[p.final_url for p in pages],
                       titles=list(dict.fromkeys(p.title for p in pages if p.title)),
                       shingles=similarity.shingles(text),
                       forms=[k for p in pages for k in forms.summary(p.forms)],
                       emblems=emblems, claims=claims, capture_dir=capture_dir, browser=browser)


def directory(home: Path) -> Path:
    return home / "lookalike" / "fingerprints"


def path_for(home: Path, domain: str) -> Path:
    return directory(home) / f"{domain}.json"


def save(home: Path, fingerprint: Fingerprint) -> Path:
    path = path_for(home, fingerprint.domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fingerprint.as_json(), ensure_ascii=False), "utf-8")
    tmp.replace(path)
    return path


def load(home: Path, domain: str) -> Fingerprint | None:
    path = path_for(home, domain)
    if not path.is_file():
        return None
    try:
        return Fingerprint.from_json(json.loads(path.read_text("utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise FingerprintError(f"{path}: {exc}; delete it or run `certwatch hunt "
                               "--refresh-fingerprints`") from None


def load_all(home: Path) -> dict[str, Fingerprint]:
    found = {}
    if directory(home).is_dir():
        for path in sorted(directory(home).glob("*.json")):
            fp = load(home, path.stem)
            if fp is not None:
                found[fp.domain] = fp
    return found
