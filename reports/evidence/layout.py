"""Where everything lives inside a packet, and the files derived from the others: the
manifest (≈《电子数据提取固定清单》), the seal, the WACZ index, pages and datapackage.

py-wacz validates only members at `dir/name.ext` (it keys files by their last two path
parts), so every member sits exactly one directory deep.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import surt
from warcio.archiveiterator import ArchiveIterator

WACZ_VERSION = "1.1.1"
MANIFEST_JSON = "manifest/manifest.json"
MANIFEST = "manifest/MANIFEST.sha256"
SIGNATURE = "manifest/signature.ed25519"
PUBLIC_KEY = "manifest/signing-key.pem"
TIMESTAMP = "manifest/timestamp.tsr"
TSA_CA = "manifest/tsa-ca.pem"
SEAL = "manifest/SEAL.sha256"
SEAL_SIGNATURE = "manifest/seal.ed25519"
COVER_HTML = "cover/cover.html"
COVER_PDF = "cover/cover.pdf"
VERIFY_TXT = "verify/VERIFY.txt"
CUSTODY = "custody/custody.jsonl"
DATAPACKAGE = "datapackage.json"
DATAPACKAGE_DIGEST = "datapackage-digest.json"
PAGES = "pages/pages.jsonl"
INDEX = "indexes/index.cdx"
CAPTURE_JSON = "records/capture.json"
CAPTURE_TXT = "records/capture.txt"
ENVIRONMENT_JSON = "records/environment.json"
ENVIRONMENT_TXT = "records/environment.txt"
CASE_JSON = "records/case.json"

# Written after the manifest (they show its hash): covered by the seal and the custody log.
SEALED = (MANIFEST, SIGNATURE, TIMESTAMP, COVER_HTML, COVER_PDF, VERIFY_TXT)
# Rewritten by a handover; checked by the custody chain and by regeneration.
MUTABLE = (CUSTODY, DATAPACKAGE, DATAPACKAGE_DIGEST)
FORMAT = "certwatch-evidence/1"

# kind (English, Chinese), format by extension
KINDS = {
    "archive": ("web archive (WARC)", "网页原始数据（WARC）"),
    "indexes": ("WARC index (CDXJ)", "WARC索引"),
    "pages": ("page list", "页面列表"),
    "screenshots": ("screenshot", "页面截图"),
    "dom": ("rendered DOM", "渲染后页面源码"),
    "text": ("extracted text", "提取文本"),
    "findings": ("findings", "分析结果"),
    "records": ("record", "笔录与环境记录"),
    "manifest": ("manifest and keys", "清单与密钥"),
}
FORMATS = {".warc.gz": "application/warc+gzip", ".cdx": "text/x-cdxj",
           ".jsonl": "application/jsonl", ".json": "application/json", ".png": "image/png",
           ".html": "text/html",
           ".txt": "text/plain; charset=utf-8", ".pem": "application/x-pem-file",
           ".pdf": "application/pdf", ".tsr": "application/timestamp-reply",
           ".sha256": "text/plain", ".ed25519": "application/octet-stream"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_format(path: str) -> str:
    for ext, fmt in FORMATS.items():
        if path.endswith(ext):
            return fmt
    return "application/octet-stream"


def dumps(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def manifest_json(files: dict[str, bytes], meta: dict[str, Any]) -> bytes:
    entries = []
    for path in sorted(files):
        kind, kind_zh = KINDS.get(path.split("/", 1)[0], ("file", "文件"))
        entries.append({"path": path, "name": path.rsplit("/", 1)[1], "kind": kind,
                        "kind_zh": kind_zh, "format": file_format(path),
                        "size": len(files[path]), "sha256": sha256(files[path])})
    return dumps({**meta, "format": FORMAT, "record": "电子数据提取固定清单", "files": entries})


def sha256sum_lines(files: dict[str, bytes]) -> bytes:
    """`sha256sum -c` input, run from the unpacked packet's top directory."""
    return "".join(f"{sha256(files[p])}  {p}\n" for p in sorted(files)).encode("ascii")


def parse_sha256sum(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, line in enumerate(data.decode("ascii").splitlines(), 1):
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64 or not path or path in out:
            raise ValueError(f"line {n} is not `<sha256>  <path>`")
        int(digest, 16)
        out[path] = digest
    return out


def warc_file(members: list[bytes]) -> bytes:
    return b"".join(members)


def cdx_index(warcs: dict[str, bytes]) -> bytes:
    """CDXJ lines for every response/resource record (sorted, as replay tools expect)."""
    lines = []
    for path, data in warcs.items():
        it = ArchiveIterator(io.BytesIO(data))
        for record in it:
            if record.rec_type not in ("response", "resource", "revisit"):
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
            entry: dict[str, Any] = {"url": uri, "filename": path.split("/", 1)[1]}
            if record.http_headers is not None and record.rec_type == "response":
                entry["status"] = record.http_headers.get_statuscode()
                entry["mime"] = (record.http_headers.get_header("Content-Type") or "")\
                    .split(";")[0]
            else:
                entry["mime"] = (record.rec_headers.get_header("Content-Type") or "")\
                    .split(";")[0]
            digest = record.rec_headers.get_header("WARC-Payload-Digest") or \
                record.rec_headers.get_header("WARC-Block-Digest")
            if digest:
                entry["digest"] = digest
            record.content_stream().read()
            entry["offset"] = it.get_record_offset()
            entry["length"] = it.get_record_length()
            ts = "".join(ch for ch in date if ch.isdigit())[:14]
            lines.append(f"{surt.surt(uri)} {ts} {json.dumps(entry, sort_keys=True)}")
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8") if lines else b""


def pages_jsonl(pages: list[dict[str, Any]]) -> bytes:
    header = {"format": "json-pages-1.0", "id": "pages", "title": "证据页面"}
    return b"".join(json.dumps(p, ensure_ascii=False).encode("utf-8") + b"\n"
                    for p in [header, *pages])


def datapackage(members: dict[str, bytes], manifest: dict[str, Any]) -> tuple[bytes, bytes]:
    """(datapackage.json, datapackage-digest.json), fully determined by the signed manifest
    and the members, so `verify` can regenerate them byte for byte."""
    resources = [{"name": p.replace("/", "-").replace("_", "-").lower(), "path": p,
                  "hash": f"sha256:{sha256(members[p])}", "bytes": len(members[p])}
                 for p in sorted(members) if p not in (DATAPACKAGE, DATAPACKAGE_DIGEST)]
    main = manifest.get("main_page") or {}
    package = {"profile": "data-package", "wacz_version": WACZ_VERSION,
               "title": manifest["case"], "description": "certwatch 电子证据包",
               "created": manifest["created"], "software": manifest["software"],
               "mainPageUrl": main.get("url"), "mainPageDate": main.get("ts"),
               "resources": resources}
    body = (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    digest = (json.dumps({"path": DATAPACKAGE, "hash": f"sha256:{sha256(body)}"}, indent=2)
              + "\n").encode("utf-8")
    return body, digest
