"""Evidence for `site:DOMAIN`: the newest lookalike capture (`certwatch hunt` or
`check-domain --fetch`) with its verdict. Every file of the capture is checked against the
SHA-256 taken when it was captured, then kept byte for byte as a WARC `resource` record;
screenshots and DOMs also go to `screenshots/` and `dom/`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reports.evidence.collect import Item, PageRecord
from reports.evidence.errors import EvidenceError, UnknownEvidenceID
from reports.evidence.ids import Target
from reports.evidence.timefmt import utc_z
from reports.evidence.warc_source import WarcMember, build_member
from store.lookalike_models import LookalikeCandidate, LookalikeVerdict
from store.lookalike_records import latest_capture

ORIGIN_LOOKALIKE = "lookalike capture file"
MIME = {".png": "image/png", ".html": "text/html; charset=utf-8", ".json": "application/json",
        ".txt": "text/plain; charset=utf-8", ".sha256": "text/plain"}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ensure_captured(engine: Engine, target: Target) -> dict[str, Any]:
    capture = latest_capture(engine, target.value)
    if capture is None:
        raise UnknownEvidenceID(
            f"{target.id}: no capture of this domain in the store (run `certwatch "
            f"check-domain --fetch {target.value}` or `certwatch hunt`)")
    return capture


def site_item(engine: Engine, home: Path, target: Target) -> Item:
    domain = target.value
    capture = ensure_captured(engine, target)
    directory = Path(capture["directory"])
    at = _when(capture["captured_at"])
    files = _files(capture, directory)
    detail = json.loads(files.get("capture.json", b"{}") or b"{}")
    uri_base = f"urn:certwatch:lookalike:{domain}/{directory.name}/"
    warc: list[WarcMember] = []
    for name, data in files.items():
        mime = MIME.get(Path(name).suffix, "application/octet-stream")
        warc.append(build_member("resource", uri_base + name, data, mime, at,
                                 ORIGIN_LOOKALIKE))
    shots = [(capture["final_url"] or capture["url"], files[n], at)
             for n in sorted(files) if n.endswith(".png")]
    doms = [(capture["final_url"] or capture["url"], files[n], at)
            for n in sorted(files) if n.endswith("dom.html")]
    pages = [PageRecord(id=0, url=p.get("requested_url") or capture["url"],
                        final_url=p.get("final_url"), status=p.get("status"),
                        fetched_at=_when(p["captured_at"]) if p.get("captured_at") else at,
                        content_hash=(p.get("dom") or {}).get("sha256"),
                        size=(p.get("dom") or {}).get("size"), kind="lookalike",
                        encoding=None, headers={}, run_id=0)
             for p in detail.get("pages", [])] or [
        PageRecord(id=0, url=capture["url"], final_url=capture["final_url"],
                   status=capture["status"], fetched_at=at,
                   content_hash=(capture["dom"] or {}).get("sha256"), size=None,
                   kind="lookalike", encoding=None, headers={}, run_id=0)]
    findings = _findings(engine, domain, capture, detail)
    return Item(target=target, url=capture["final_url"] or capture["url"],
                title=capture["title"] or domain, text=_text(files),
                fields={"domain": domain}, source="lookalike", source_title="仿冒网站巡查",
                platform="website", findings=findings, pages=pages, runs=[], warc=warc,
                screenshots=shots, doms=doms)


def _files(capture: dict[str, Any], directory: Path) -> dict[str, bytes]:
    """Every file of the capture, refused unless it matches the hashes in the store: the
    capture directory's manifest.json against the stored manifest SHA-256 (so the list of
    files cannot be swapped), each file against that manifest, and the screenshot and DOM
    also against their own stored SHA-256."""
    stored = capture.get("manifest") or {}
    if not stored.get("sha256"):
        raise EvidenceError(f"lookalike capture in {directory} has no manifest SHA-256 in the "
                            "store; capture it again (`certwatch check-domain --fetch`)")
    manifest_bytes = _read(directory / "manifest.json")
    if hashlib.sha256(manifest_bytes).hexdigest() != stored["sha256"]:
        raise EvidenceError(f"lookalike capture file {directory / 'manifest.json'} no longer "
                            "matches the SHA-256 recorded in the store; it cannot go into a "
                            "packet")
    try:
        listed = json.loads(manifest_bytes)["files"]
        entries = {name: str(info["sha256"]) for name, info in listed.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EvidenceError(f"lookalike capture manifest {directory / 'manifest.json'} is "
                            f"malformed ({exc})") from None
    files: dict[str, bytes] = {"manifest.json": manifest_bytes}
    for name, digest in entries.items():
        if not name or "/" in name or "\\" in name or ".." in name or name.startswith("."):
            raise EvidenceError(f"lookalike capture manifest {directory / 'manifest.json'} "
                                f"names a file outside its directory: {name!r}")
        data = _read(directory / name)
        if hashlib.sha256(data).hexdigest() != digest:
            raise EvidenceError(f"lookalike capture file {directory / name} no longer matches "
                                "the SHA-256 recorded when it was captured; it cannot go "
                                "into a packet")
        files[name] = data
    for kind in ("screenshot", "dom", "exchange"):
        ref = capture.get(kind) or {}
        if not ref.get("path"):
            continue
        name = Path(ref["path"]).name
        data = files.get(name)
        if data is None or hashlib.sha256(data).hexdigest() != ref.get("sha256"):
            raise EvidenceError(f"lookalike capture {kind} {directory / name} does not match "
                                "the SHA-256 recorded in the store; it cannot go into a "
                                "packet")
    if "manifest.sha256" not in files and (directory / "manifest.sha256").is_file():
        files["manifest.sha256"] = _read(directory / "manifest.sha256")
    return dict(sorted(files.items()))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"lookalike capture file {path} is unreadable: "
                            f"{exc.strerror}") from None


def _text(files: dict[str, bytes]) -> str:
    return "\n\n".join(files[n].decode("utf-8", "replace") for n in sorted(files)
                       if n.endswith("text.txt"))


def _findings(engine: Engine, domain: str, capture: dict[str, Any],
              detail: dict[str, Any]) -> dict[str, Any]:
    with Session(engine) as session:
        candidate = session.scalar(select(LookalikeCandidate)
                                   .where(LookalikeCandidate.domain == domain))
        verdict = session.scalar(
            select(LookalikeVerdict).where(LookalikeVerdict.candidate_id == candidate.id)
            .order_by(LookalikeVerdict.decided_at.desc(), LookalikeVerdict.id.desc())
            .limit(1)) if candidate else None
    signals = (verdict.page_signals or {}) if verdict else {}
    public = {k: v for k, v in capture.items() if k not in ("directory", "files")}
    return {
        "id": f"site:{domain}", "domain": domain, "url": capture["url"],
        "final_url": capture["final_url"], "title": capture["title"],
        "first_seen": utc_z(candidate.first_seen) if candidate else capture["captured_at"],
        "last_seen": utc_z(candidate.last_seen) if candidate else capture["captured_at"],
        "removed": False,
        "classifier": {"label": verdict.label if verdict else None,
                       "score": verdict.score if verdict else None,
                       "reasons": [{"text": n} for n in signals.get("notes", [])]
                       or [{"text": r} for r in (verdict.reasons if verdict else [])],
                       "model_version": "lookalike"},
        "lookalike": {
            "imitates": verdict.imitates if verdict else None,
            "reasons": verdict.reasons if verdict else [],
            "page_signals": signals,
            "name_verdict": {"label": candidate.name_label, "score": candidate.name_score,
                             "imitates": candidate.name_imitates,
                             "reasons": candidate.name_reasons} if candidate else None,
            "resolved_addresses": candidate.addresses if candidate else [],
            "canary": {"result": capture.get("canary_result"),
                       "number": capture.get("canary_number"),
                       "answer": (detail.get("canary") or {}).get("answer")},
        },
        "capture": public,
        "attributes": {}, "contacts": [], "reviews": [], "versions": [], "events": [],
    }
