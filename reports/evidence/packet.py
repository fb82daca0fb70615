"""`certwatch evidence export`: build one WACZ packet per case, staged in the temporary
directory (TMPDIR) and put into --out only after it validates, so an error never leaves a
half-written packet."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from certwatch import __version__
from reports.evidence import agency as agencies
from reports.evidence import (
    cover,
    custody,
    layout,
    records,
    signing,
    timestamp,
    verify_text,
    wacz_check,
)
from reports.evidence.collect import Item, collect, ensure_known
from reports.evidence.errors import CustodyError, EvidenceError
from reports.evidence.ids import parse_ids
from reports.evidence.timefmt import shanghai, utc_z
from reports.evidence.zipio import write_zip
from store.clock import utcnow

WARC_FILE = "archive/evidence.warc.gz"
PURPOSES = {
    "cac": "固定假冒政府网站、证书查询端口的网页证据，移送网信部门处置",
    "samr": "固定网络销售证书、考试包过等虚假宣传信息，移送市场监管部门查处",
    "police": "固定伪造、买卖证书违法犯罪线索的网络证据，移送公安机关",
    "mohurd": "固定注册证书“挂证”信息，移送发证的住建主管部门核查",
    "mohrss": "固定职业资格证书“挂证”信息，移送发证的人社部门核查",
    "none": "固定网络信息存档备查",
}


@dataclass(frozen=True)
class ExportOptions:
    out_dir: Path
    case: str | None = None
    operator: str | None = None
    tsa_url: str | None = None
    tsa_ca: Path | None = None
    sources_dir: Path | None = None
    validate: bool = True


@dataclass(frozen=True)
class ExportResult:
    path: Path
    case: str
    items: list[str]
    manifest_sha256: str
    agency: str
    timestamped: bool
    custody_entries: int
    files: int


def default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def export_packet(engine: Engine, home: Path, ids: list[str],
                  options: ExportOptions) -> ExportResult:
    targets = parse_ids(ids)
    if not targets:
        raise EvidenceError("nothing to export: give at least one listing ID or site:DOMAIN")
    # Every ID is checked before anything is started or written: a bad one leaves --out
    # untouched and costs no browser start.
    ensure_known(engine, targets)
    ca_pem = _read_ca(options.tsa_ca)
    case = (options.case or f"certwatch-{utcnow():%Y%m%d}-"
            + "-".join(t.slug for t in targets[:3])).strip()
    operator = options.operator or default_operator()
    key = signing.load_or_create_key(home)
    home_log = custody.HomeLog(home, case)
    chain = home_log.load()
    created = _make_out_dir(options.out_dir)
    # The export time in the name: a re-export never replaces an earlier packet of the case.
    target = options.out_dir / f"{custody.slug(case)}-{utcnow():%Y%m%dT%H%M%SZ}.wacz"
    work = None
    try:
        if target.exists():
            raise EvidenceError(f"{target} already exists; certwatch never overwrites a "
                                "packet (wait a second and export again)")
        if options.validate:
            wacz_check.preload()
        # Staged off the hand-over medium: a crash leaves nothing on it, and validation
        # reads local disk rather than a USB stick.
        try:
            work = Path(tempfile.mkdtemp(prefix=".certwatch-export-"))
        except OSError as exc:
            raise EvidenceError(f"cannot stage the packet in {tempfile.gettempdir()} "
                                f"(TMPDIR): {exc.strerror}") from None
        with cover.PdfPrinter() as printer:  # boots while the store is read
            items = collect(engine, home, targets)
            members, result = _build(items, case=case, operator=operator, key=key,
                                     chain=chain, packet_name=target.name, printer=printer,
                                     tsa_url=options.tsa_url, ca_pem=ca_pem,
                                     sources_dir=options.sources_dir)
        staged = work / target.name
        try:
            write_zip(staged, members, utcnow())
        except OSError as exc:
            raise EvidenceError(f"cannot stage the packet in {work.parent} (TMPDIR): "
                                f"{exc.strerror}") from None
        if options.validate:
            ok, message = wacz_check.validate(staged)
            if not ok:
                raise EvidenceError(f"internal error: py-wacz rejects the packet: {message}")
        staged.chmod(0o644)
        place_packet(staged, target)
    except BaseException:
        for directory in created:  # leave no trace of a failed export, not even its --out
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    entries, _ = custody.parse_log(members[layout.CUSTODY])
    home_log.append(chain, entries[len(chain):])
    return ExportResult(path=target, case=case, items=[t.id for t in targets],
                        custody_entries=len(entries), files=len(members), **result)


def _make_out_dir(out_dir: Path) -> list[Path]:
    """Create --out as needed; the directories made, deepest first (a failed export removes
    them again). A path that cannot be a directory is a one-line error, not a traceback."""
    missing = []
    probe = out_dir
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for directory in missing:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise EvidenceError(f"--out {out_dir}: cannot create the directory "
                            f"({exc.strerror or exc})") from None
    return missing


def place_packet(staged: Path, target: Path) -> None:
    """Put the validated packet at `target` whole, never over a file already there."""
    try:  # link, not rename: fails instead of replacing a packet that appeared meanwhile
        target.hardlink_to(staged)
        return
    except FileExistsError:
        raise _exists(target) from None
    except OSError:
        pass  # FAT/exFAT (a likely hand-over USB stick) have no hard links; nor do two devices
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=".tmp")
    except OSError as exc:
        raise EvidenceError(f"--out {target.parent}: cannot write there ({exc.strerror})") \
            from None
    tmp, claimed = Path(name), False
    try:
        with os.fdopen(fd, "wb") as out, open(staged, "rb") as src:
            with contextlib.suppress(OSError):  # FAT has no modes to set
                os.fchmod(out.fileno(), 0o644)
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        # Claim the name exclusively, then swap the complete copy in by rename (atomic in
        # one directory): the packet never overwrites another and is never seen half-copied.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        claimed = True
        os.replace(tmp, target)
    except FileExistsError:
        raise _exists(target) from None
    except BaseException as exc:
        if claimed:  # our own empty claim: the packet did not arrive
            target.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise EvidenceError(f"--out {target.parent}: cannot write the packet there "
                                f"({exc.strerror or exc})") from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _exists(target: Path) -> EvidenceError:
    return EvidenceError(f"{target} already exists; certwatch never overwrites a packet "
                         "(export again)")


def _read_ca(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"CERTWATCH_TSA_CA={path}: {exc.strerror}") from None


def _build(items: list[Item], *, case: str, operator: str, key: Any,
           chain: list[dict[str, Any]], packet_name: str, printer: cover.PdfPrinter,
           tsa_url: str | None, ca_pem: bytes | None,
           sources_dir: Path | None) -> tuple[dict[str, bytes], dict[str, Any]]:
    now = utcnow()
    agency, copies = agencies.for_case(items)
    purpose = PURPOSES[agency.key]
    files: dict[str, bytes] = {}
    # Listings read from one page share its capture: each record and each screenshot is
    # stored once, and every item's record says which members are its own.
    members: dict[str, bytes] = {}
    blobs: dict[str, str] = {}
    pages = []
    for item in items:
        slug = item.target.slug
        for m in item.warc:
            members.setdefault(m.record_id, m.data)
        shots = [_blob(files, blobs, f"screenshots/{slug}-{n}.png", data)
                 for n, (_url, data, _at) in enumerate(item.screenshots, 1)]
        doms = [_blob(files, blobs, f"dom/{slug}-{n}.html", data)
                for n, (_url, data, _at) in enumerate(item.doms, 1)]
        files[f"text/{slug}.txt"] = _text(item)
        files[f"findings/{slug}.json"] = layout.dumps(item.findings)
        item.packet_files = {"warc": WARC_FILE if item.warc else None,
                             "warc_records": [m.record_id for m in item.warc],
                             "screenshots": shots, "dom": doms,
                             "text": f"text/{slug}.txt", "findings": f"findings/{slug}.json"}
        pages.append({"id": slug, "url": item.url, "ts": utc_z(item.captured_from),
                      "title": item.title or item.url, "text": item.text})
    if not members:
        raise EvidenceError("none of the items has a stored page to put in a WARC "
                            "(crawl them again; certwatch never re-fetches for a packet)")
    warcs = {WARC_FILE: layout.warc_file(list(members.values()))}
    files.update(warcs)
    files[layout.INDEX] = layout.cdx_index(warcs)
    files[layout.PAGES] = layout.pages_jsonl(pages)
    capture = records.capture_record(items, case=case, purpose=purpose, operator=operator,
                                     exported_at=now, sources_dir=sources_dir,
                                     local_ip=records.local_address())
    environment = records.environment_record(items, browser_version=printer.version)
    files[layout.CAPTURE_JSON] = layout.dumps(capture)
    files[layout.CAPTURE_TXT] = records.render_capture(capture).encode("utf-8")
    files[layout.ENVIRONMENT_JSON] = layout.dumps(environment)
    files[layout.ENVIRONMENT_TXT] = records.render_environment(environment).encode("utf-8")
    files[layout.CASE_JSON] = layout.dumps({
        "case": case, "purpose": purpose, "agency": agency.__dict__,
        "copies": [a.__dict__ for a in copies], "items": [i.target.id for i in items],
        "labels": {i.target.id: i.label for i in items}})
    pem = signing.public_pem(key)
    fingerprint = signing.fingerprint(pem)
    files[layout.PUBLIC_KEY] = pem
    if ca_pem:
        files[layout.TSA_CA] = ca_pem
    meta = {"case": case, "created": utc_z(now), "created_shanghai": shanghai(now).isoformat(),
            "operator": operator, "software": f"certwatch {__version__}",
            "items": [i.target.id for i in items],
            "main_page": {"url": items[0].url, "ts": utc_z(items[0].captured_from)},
            "signing_key": {"path": layout.PUBLIC_KEY, "algorithm": "Ed25519",
                            "fingerprint_sha256": fingerprint}}
    files[layout.MANIFEST_JSON] = layout.manifest_json(files, meta)
    manifest = layout.sha256sum_lines(files)
    manifest_sha = layout.sha256(manifest)
    sealed: dict[str, bytes] = {layout.MANIFEST: manifest,
                                layout.SIGNATURE: signing.sign(key, manifest)}
    stamp_view = None
    if tsa_url:
        reply, nonce = timestamp.fetch_token(tsa_url, manifest)
        info = timestamp.check_token(reply, manifest, nonce=nonce, ca_pem=ca_pem)
        sealed[layout.TIMESTAMP] = reply
        stamp_view = {"time": f"{shanghai(info.gen_time):%Y年%m月%d日 %H:%M:%S}（北京时间）/ "
                              f"{utc_z(info.gen_time)}",
                      "tsa": info.tsa, "serial": info.serial}
    sealed[layout.COVER_HTML] = cover.render_html(
        case=case, purpose=purpose, operator=operator,
        crawl_operators=records.crawl_operators(items), packet_name=packet_name,
        agency=agency, copies=copies, items=items, manifest_sha256=manifest_sha,
        key_fingerprint=fingerprint, timestamp=stamp_view, exported_at=now)
    sealed[layout.COVER_PDF] = printer.pdf(sealed[layout.COVER_HTML])
    sealed[layout.VERIFY_TXT] = verify_text.render(
        packet_name=packet_name, fingerprint=fingerprint,
        has_timestamp=layout.TIMESTAMP in sealed, has_tsa_ca=bool(ca_pem),
        custody_signers=[*_signers(chain), fingerprint])
    seal = layout.sha256sum_lines(sealed)
    sealed[layout.SEAL] = seal
    sealed[layout.SEAL_SIGNATURE] = signing.sign(key, seal)
    after = {p: layout.sha256(d) for p, d in sealed.items()}
    previous = [e for e in chain if e.get("action") in ("export", "re-export", "handover")]
    entry = custody.new_entry(
        chain, key=key, action="re-export" if previous else "export", who=operator, case=case,
        packet=packet_name, before=chain[-1]["after"] if chain else {}, after=after, at=now,
        note=f"导出证据包，含 {len(items)} 条：{'、'.join(i.target.id for i in items)}")
    members = {**files, **sealed, layout.CUSTODY: custody.serialise([*chain, entry])}
    members[layout.DATAPACKAGE], members[layout.DATAPACKAGE_DIGEST] = layout.datapackage(
        members, {**meta, "case": case})
    return members, {"manifest_sha256": manifest_sha, "agency": agency.name,
                     "timestamped": stamp_view is not None}


def _signers(chain: list[dict[str, Any]]) -> list[str]:
    """The key fingerprint of each custody line so far, for VERIFY.txt to pin."""
    try:
        return [signing.fingerprint(e["signer_key"].encode("ascii")) for e in chain]
    except (KeyError, AttributeError, ValueError, UnicodeEncodeError) as exc:
        raise CustodyError(f"this case's custody log has an entry without a readable "
                           f"signer_key ({exc}); restore it from a packet of this case") from None


def _blob(files: dict[str, bytes], seen: dict[str, str], path: str, data: bytes) -> str:
    digest = layout.sha256(data)
    if digest not in seen:
        seen[digest] = path
        files[path] = data
    return seen[digest]


def _text(item: Item) -> bytes:
    lines = [f"编号：{item.target.id}", f"网址：{item.url}", f"来源：{item.source_title}",
             f"标题：{item.title}", "", item.text, ""]
    for name, value in sorted(item.fields.items()):
        if name not in ("title", "text"):
            lines.append(f"{name}：{value}")
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")
