"""The capture record (≈《网络在线提取笔录》) and the environment record, as JSON and as
Chinese text. Crawl-time facts come from the store and the WARC records; what is only
known at export time is labelled so."""

from __future__ import annotations

import functools
import platform
import socket
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from certwatch import __version__
from reports.evidence.collect import Item
from reports.evidence.timefmt import shanghai, shanghai_text, utc_z
from reports.evidence.warc_source import ORIGIN_CRAWL, ORIGIN_STORE

ORIGINS_ZH = {ORIGIN_CRAWL: "抓取时写入的WARC", ORIGIN_STORE: "由抓取时存储的原始响应体重建",
              "lookalike capture file": "仿冒网站巡查时保存的文件（哈希已核对）"}
LIBRARIES = ("scrapy", "scrapy-playwright", "playwright", "twisted", "sqlalchemy",
             "scikit-learn", "warcio", "wacz", "cryptography", "asn1crypto", "jinja2")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def local_address() -> str:
    """The address this host would send from (no packet is sent: UDP connect only routes)."""
    for probe in ("192.0.2.1", "127.0.0.1"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                return sock.getsockname()[0]
        except OSError:
            continue
    return "127.0.0.1"


def _click_path(item: Item, sources_dir: Path | None) -> list[str]:
    if item.target.kind != "listing":
        return _site_path(item)
    config = _sources(sources_dir).get(item.source)
    if config is None:
        return [f"来源配置 {item.source} 已不可用；直接记录的详情页：{item.url}"]
    steps = [f"打开起始页 {u}" for u in config.start_urls]
    for action in config.list.actions:
        if action.kind == "wait_for":
            steps.append(f"等待页面元素 {action.selector} 出现")
        else:
            steps.append(f"反复点击 {action.selector}（如“加载更多”）直至其消失，"
                         f"最多 {action.max} 次")
    if config.list.next:
        steps.append(f"沿“下一页”链接（{', '.join(config.list.next)}）逐页翻阅列表")
    if config.detail is not None:
        steps.append(f"在列表条目（{config.list.item}）中点击链接（{config.list.link}）进入详情页")
        steps.append(f"记录该条信息所在页面 {item.url}")
        return steps
    # A list-only source never opens the entry's link: the list page is what was recorded.
    pages = list(dict.fromkeys(p.final_url or p.url for p in item.pages)) or ["（未存储）"]
    steps.append(f"从列表条目（{config.list.item}）中读取该条信息（此来源无详情页，不打开条目链接）")
    steps.append(f"记录该条信息所在的列表页 {'、'.join(pages)}")
    if item.url not in pages:
        steps.append(f"该条信息的链接 {item.url} 仅作标识记录，未打开")
    return steps


@functools.lru_cache(maxsize=4)
def _sources(sources_dir: Path | None) -> dict[str, Any]:
    try:
        from crawlers.sources import load_sources

        return load_sources(sources_dir)
    except Exception:  # a broken source file must not stop an export
        return {}


def _site_path(item: Item) -> list[str]:
    steps = []
    for page in item.pages:
        steps.append(f"在浏览器（Chromium）中打开 {page.url}")
        if page.final_url and page.final_url != page.url:
            steps.append(f"页面跳转至 {page.final_url}")
        steps.append(f"保存整页截图、渲染后页面源码与文本（HTTP {page.status}）")
    canary = (item.findings.get("lookalike") or {}).get("canary") or {}
    if canary.get("number"):
        steps.append(f"在网站自身的查询表单中提交不可能存在的证书编号 {canary['number']}，"
                     f"记录网站答复（结果：{canary.get('result')}）")
    return steps


def capture_record(items: list[Item], *, case: str, purpose: str, operator: str,
                   exported_at: datetime, sources_dir: Path | None,
                   local_ip: str) -> dict[str, Any]:
    start = min(i.captured_from for i in items)
    end = max(i.captured_to for i in items)
    hosts = sorted({r.hostname for i in items for r in i.runs if r.hostname})
    infos = _warcinfos(items)
    crawl_ips = sorted({f["exit-ip"] for f in infos
                        if f.get("exit-ip") and not f["exit-ip"].startswith("unknown")})
    return {
        "record": "网络在线提取笔录",
        "case": case,
        "purpose": purpose,
        "operators": list(dict.fromkeys([*crawl_operators(items), operator])),
        "capture": {
            "method": "certwatch 自动化网络爬取（抓取时保存原始HTTP数据，导出时未重新访问网站）",
            "start_utc": utc_z(start), "end_utc": utc_z(end),
            "start_shanghai": shanghai(start).isoformat(),
            "end_shanghai": shanghai(end).isoformat(),
            "hosts": hosts,
            # Only the crawl knows which address it sent from; the export host's address
            # is a different machine or time and must not stand in for it.
            "exit_ip": "、".join(crawl_ips) if crawl_ips else "未记录",
            "exit_ip_basis": _exit_ip_basis(infos),
        },
        "export": {"at_utc": utc_z(exported_at),
                   "at_shanghai": shanghai(exported_at).isoformat(),
                   "host": socket.gethostname(), "operator": operator,
                   "local_ip": local_ip, "local_ip_basis": "导出主机本地地址（导出时取得）"},
        "tools": _tools(items),
        "items": [{
            "id": i.target.id, "url": i.url, "source": i.source, "source_title": i.source_title,
            "click_path": _click_path(i, sources_dir),
            "runs": [{"id": r.id, "batch": r.batch, "night": r.night, "status": r.status,
                      "started_utc": utc_z(r.started_at),
                      "finished_utc": utc_z(r.finished_at) if r.finished_at else None,
                      "host": r.hostname, "pid": r.pid} for r in i.runs],
            "pages": [{"url": p.url, "final_url": p.final_url, "status": p.status,
                       "fetched_utc": utc_z(p.fetched_at),
                       "fetched_shanghai": shanghai(p.fetched_at).isoformat(),
                       "body_sha256": p.content_hash, "size": p.size, "kind": p.kind,
                       "redirected": bool(p.final_url and p.final_url != p.url)}
                      for p in i.pages],
            "linked_data": _linked(i),
            "packet_files": i.packet_files,
            "warc_records": [{"type": m.record_type, "uri": m.target_uri, "id": m.record_id,
                              "captured_utc": utc_z(m.captured_at), "origin": m.origin,
                              "ip_address": m.ip_address}
                             for m in i.warc],
        } for i in items],
    }


def crawl_operators(items: list[Item]) -> list[str]:
    """Who ran the captures, as each WARC's warcinfo names them."""
    return sorted({f["operator"] for f in _warcinfos(items) if f.get("operator")})


def _exit_ip_basis(infos: list[dict[str, str]]) -> str:
    """Where each crawl's exit address came from, as its warcinfo says (look-ups at one URL
    are given once, with the time of each)."""
    bases: dict[str, list[str]] = {}
    for info in infos:
        source, value = info.get("exit-ip-source"), info.get("exit-ip", "")
        at = info.get("exit-ip-checked-at", "")
        if source == "CERTWATCH_EXIT_IP":
            key = "抓取时由操作人员设定（CERTWATCH_EXIT_IP，WARC warcinfo）"
        elif source and value.startswith("unknown"):
            key = f"抓取开始时向 {source} 查询失败：{value.removeprefix('unknown (')[:-1]}"
        elif source:
            key = f"抓取开始时向 {source} 查询所得"
        elif value and not value.startswith("unknown"):
            key = "抓取时记录（WARC warcinfo）"
        else:
            key = "抓取时未记录出口地址"
        times = bases.setdefault(key, [])
        if source and source != "CERTWATCH_EXIT_IP" and at:
            times.append(at)
    return "；".join(f"{key}（查询时间 {'、'.join(times)}，WARC warcinfo）" if times else key
                    for key, times in bases.items()) or "抓取时未记录出口地址"


def _linked(item: Item) -> dict[str, Any]:
    """GUIDE §2 item 6: redirect chain, resolved IP, TLS certificate (contacts: findings)."""
    schemes = {urlsplit(p.final_url or p.url).scheme for p in item.pages} or {
        urlsplit(item.url).scheme}
    ips = sorted({m.ip_address for m in item.warc if m.ip_address})
    basis = "WARC-IP-Address（抓取时记录）" if ips else "抓取时未记录（早于WARC采集的页面）"
    resolved = (item.findings.get("lookalike") or {}).get("resolved_addresses")
    if not ips and resolved:
        ips, basis = sorted(resolved), "巡查时的域名解析结果"
    return {
        "redirect_chain": [[p.url, p.final_url] for p in item.pages
                           if p.final_url and p.final_url != p.url],
        "resolved_ips": ips,
        "resolved_ips_basis": basis,
        "tls_certificate": "；".join(item.certificates) if item.certificates
        else "不适用（HTTP明文传输）" if schemes == {"http"} else "抓取时未记录",
        "contacts": [{"kind": c["kind"], "value": c["value"],
                      "linked_listings": len(c.get("linked_listings", []))}
                     for c in item.findings.get("contacts", [])],
    }


BROWSER_PAGES = "浏览器来源的页面（scrapy-playwright）"
RECORDED = "抓取时记录（WARC metadata 记录，角色 browser）"
FROM_HEADERS = "WARC request 记录中抓取时发送的请求头（浏览器设置抓取时未单独记录）"


def _contexts(items: list[Item]) -> list[dict[str, str]]:
    """The settings each kind of capture ran with, as recorded at crawl time."""
    contexts: list[dict[str, str]] = []
    listings = [i for i in items if i.target.kind == "listing"]
    for item in listings:
        if item.screenshots or item.doms:
            found = [_browser_context(s) for s in item.browser] or [_unrecorded_browser(item)]
            contexts += [c for c in found if c not in contexts]
    plain = [i for i in listings if not (i.screenshots or i.doms)]
    if plain:
        sent = next((h for i in plain for h in i.sent_headers), {})
        info = next((f for i in plain for f in i.warcinfo), {})
        contexts.append({
            "used_for": "HTTP 页面（Scrapy，无浏览器渲染）", "browser_build": "不适用",
            "viewport": "不适用", "locale": _accept_language(sent.get("Accept-Language")),
            "user_agent": sent.get("User-Agent") or info.get("http-header-user-agent")
            or "抓取时未记录",
            "basis": "WARC request 记录中抓取时发送的请求头" if sent
            else "抓取时未保存请求（早于WARC采集的页面）"})
    if any(i.target.kind == "site" for i in items):
        from classifiers.lookalike.capture import USER_AGENT, VIEWPORT

        contexts.append({"used_for": "仿冒网站巡查（Chromium）", "browser_build": "见巡查记录",
                         "viewport": f"{VIEWPORT['width']}×{VIEWPORT['height']}",
                         "locale": "zh-CN（时区 Asia/Shanghai）", "user_agent": USER_AGENT,
                         "basis": "巡查程序的固定设置"})
    return contexts


def _accept_language(value: str | None) -> str:
    return f"请求头 Accept-Language: {value}" if value else "请求头未带 Accept-Language"


def _browser_context(settings: dict[str, Any]) -> dict[str, str]:
    """One browser page's settings as its `browser` metadata record gives them."""
    headers = {k.lower(): v for k, v in (settings.get("sent_headers") or {}).items()}
    nav = settings.get("navigator") or {}
    viewport = settings.get("viewport") or {}
    locale = [_accept_language(headers.get("accept-language"))]
    if nav.get("language"):
        locale.append(f"浏览器语言 navigator.language {nav['language']}")
    if nav.get("timeZone"):
        locale.append(f"时区 {nav['timeZone']}")
    context = {
        "used_for": BROWSER_PAGES,
        "browser_build": settings.get("browser") or "抓取时未记录",
        "viewport": f"{viewport['width']}×{viewport['height']}"
        if viewport.get("width") else "未记录",
        "locale": "；".join(locale),
        "user_agent": headers.get("user-agent") or nav.get("userAgent") or "抓取时未记录",
        "basis": RECORDED,
    }
    # Scripts see Chromium's own string; the header sent is the crawler's. Both are facts.
    if nav.get("userAgent") and nav["userAgent"] != context["user_agent"]:
        context["user_agent_in_page"] = nav["userAgent"]
    return context


def _unrecorded_browser(item: Item) -> dict[str, str]:
    """Pages captured before browser settings were recorded: what the WARC still says."""
    sent = next(iter(item.sent_headers), {})
    browser = next((f["browser"] for f in item.warcinfo if f.get("browser")), None)
    width = _png_width(item.screenshots[0][1]) if item.screenshots else None
    return {
        "used_for": BROWSER_PAGES,
        "browser_build": f"抓取时未记录版本（浏览器程序：{browser}）" if browser
        else "抓取时未记录",
        "viewport": f"抓取时未记录（整页截图宽 {width} 像素）" if width else "抓取时未记录",
        "locale": _accept_language(sent.get("Accept-Language")),
        "user_agent": sent.get("User-Agent") or "抓取时未记录",
        "basis": FROM_HEADERS,
    }


def _png_width(data: bytes) -> int | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big")


def _warcinfos(items: list[Item]) -> list[dict[str, str]]:
    distinct: list[dict[str, str]] = []
    for item in items:
        for fields in item.warcinfo:
            if fields not in distinct:
                distinct.append(fields)
    return distinct


CRAWL_TOOLS = {"software": "certwatch", "python": "python", "scrapy": "scrapy",
               "twisted": "twisted", "warcio": "warcio", "playwright": "playwright",
               "scrapy-playwright": "scrapy-playwright"}


def _tools(items: list[Item]) -> list[dict[str, str | None]]:
    """Versions at crawl time (each WARC's warcinfo, each browser page's record), then the
    ones this export ran with, each labelled with when it applies."""
    crawl: list[dict[str, str | None]] = []
    for info in _warcinfos(items):
        for field_name, name in CRAWL_TOOLS.items():
            value = info.get(field_name)
            if value and field_name == "software":
                value = value.split("/", 1)[-1]
            tool = {"name": name, "version": value, "stage": "抓取时",
                    "basis": "WARC warcinfo"}
            if value and tool not in crawl:
                crawl.append(tool)
    for build in _crawl_browsers(items):
        crawl.append({"name": "浏览器", "version": build, "stage": "抓取时",
                      "basis": "WARC metadata（角色 browser）"})
    export = [{"name": "certwatch", "version": __version__},
              {"name": "python", "version": platform.python_version()}]
    export += [{"name": n, "version": _version(n)} for n in LIBRARIES]
    return crawl + [{**t, "stage": "导出时", "basis": "导出主机上安装的版本"} for t in export]


def _crawl_browsers(items: list[Item]) -> list[str]:
    return sorted({s["browser"] for i in items for s in i.browser if s.get("browser")})


def environment_record(items: list[Item], *, browser_version: str | None) -> dict[str, Any]:
    from crawlers import settings

    infos = _warcinfos(items)
    first = infos[0] if infos else {}
    builds = _crawl_browsers(items)
    return {
        "record": "取证环境记录",
        "os": _os_name(), "kernel": platform.release(), "machine": platform.machine(),
        "python": platform.python_version(),
        "libraries": {n: _version(n) for n in LIBRARIES},
        "browser": {"build": "、".join(builds) or None, "engine": "Chromium (Playwright)",
                    "used_for": "浏览器来源页面的渲染与截图（抓取时，见 browser_contexts）"},
        "cover_printer": {"build": browser_version,
                          "used_for": "导出时打印封面PDF（非抓取所用浏览器）"},
        "user_agent": first.get("http-header-user-agent") or settings.USER_AGENT,
        "user_agent_basis": "抓取时记录（WARC warcinfo）" if first.get("http-header-user-agent")
        else "爬虫配置（抓取时未单独记录）" if any(i.target.kind == "listing" for i in items)
        else "仅仿冒网站巡查：见下方浏览器设置",
        "crawl_time": infos,
        "browser_contexts": _contexts(items),
        "timezone": "Asia/Shanghai (UTC+8) 显示；存储与WARC为UTC",
        "crawl_hosts": sorted({r.hostname for i in items for r in i.runs if r.hostname}),
        "note": "os、kernel、python、libraries 与 cover_printer 为导出主机、导出时的情况；"
                "crawl_time 为抓取时写入 WARC warcinfo 的环境（操作系统、主机、出口IP、软件版本）；"
                "browser_contexts 为抓取时各类页面实际使用的浏览器、视口、语言与用户代理；"
                "原始请求头见WARC request记录。",
    }


def render_capture(rec: dict[str, Any]) -> str:
    cap, exp = rec["capture"], rec["export"]
    lines = [
        "网络在线提取笔录", "=" * 16, "",
        f"案件名称：{rec['case']}",
        f"提取目的：{rec['purpose']}",
        f"提取人：{'、'.join(rec['operators'])}",
        f"提取方式：{cap['method']}",
        f"提取开始时间：{_both(cap['start_utc'])}",
        f"提取结束时间：{_both(cap['end_utc'])}",
        f"抓取主机：{'、'.join(cap['hosts']) or '（未记录）'}",
        f"出口IP：{cap['exit_ip']}（{cap['exit_ip_basis']}）",
        f"导出时间：{_both(exp['at_utc'])}；导出主机：{exp['host']}"
        + (f"（导出主机本地地址：{exp['local_ip']}）" if exp.get("local_ip") else "")
        + f"；导出人：{exp['operator']}",
        "", "使用工具及版本：",
    ]
    lines += [f"  - {t['name']} {t['version'] or '（未安装）'}（{t['stage']}，{t['basis']}）"
              for t in rec["tools"]]
    for n, item in enumerate(rec["items"], 1):
        lines += ["", f"【提取对象 {n}】{item['id']}  {item['source_title'] or item['source']}",
                  f"  网址：{item['url']}", "  操作过程："]
        lines += [f"    {k}. {step}" for k, step in enumerate(item["click_path"], 1)]
        lines.append("  抓取的页面：")
        for p in item["pages"]:
            redirect = f" → {p['final_url']}" if p["redirected"] else ""
            lines.append(f"    - {p['url']}{redirect}  HTTP {p['status']}  "
                         f"{_both(p['fetched_utc'])}  SHA-256 {p['body_sha256']}")
        linked = item["linked_data"]
        chain = "；".join(f"{a} → {b}" for a, b in linked["redirect_chain"]) or "无"
        lines += [f"  重定向链：{chain}",
                  f"  解析IP：{'、'.join(linked['resolved_ips']) or '—'}"
                  f"（{linked['resolved_ips_basis']}）",
                  f"  TLS证书：{linked['tls_certificate']}",
                  "  联系方式：" + ("、".join(f"{c['kind']} {c['value']}（关联 "
                                            f"{c['linked_listings']} 条）"
                                            for c in linked["contacts"]) or "无")]
        files = item.get("packet_files") or {}
        if files.get("screenshots"):
            lines.append(f"  页面截图：{'、'.join(files['screenshots'])}")
        if files.get("dom"):
            lines.append(f"  渲染后页面源码：{'、'.join(files['dom'])}")
        lines.append(f"  WARC记录（{files.get('warc') or '—'}）：")
        for w in item["warc_records"]:
            origin = ORIGINS_ZH.get(w["origin"], w["origin"])
            ip = f"，服务器IP {w['ip_address']}" if w.get("ip_address") else ""
            lines.append(f"    - {w['type']} {w['uri']} {w['id']}（{origin}{ip}）")
    return "\n".join(lines) + "\n"


def render_environment(env: dict[str, Any]) -> str:
    lines = [
        "取证环境记录", "=" * 12, "",
        f"操作系统：{env['os']}（内核 {env['kernel']}，{env['machine']}）",
        f"Python：{env['python']}",
        f"抓取用浏览器：{env['browser']['build'] or '（未使用）'}（{env['browser']['engine']}）",
        f"封面PDF打印浏览器（导出时）：{env['cover_printer']['build'] or '—'}",
        f"用户代理（User-Agent）：{env['user_agent']}（{env['user_agent_basis']}）",
        "各类页面抓取时的浏览器、视口、语言区域与用户代理：",
        *[f"  - {c['used_for']}：浏览器 {c['browser_build']}，视口 {c['viewport']}，"
          f"语言区域 {c['locale']}，用户代理 {c['user_agent']}"
          + (f"（页面脚本所见 {c['user_agent_in_page']}）" if c.get("user_agent_in_page")
             else "") + f"（依据：{c['basis']}）" for c in env["browser_contexts"]],
        f"时区：{env['timezone']}",
        f"抓取主机：{'、'.join(env['crawl_hosts']) or '（未记录）'}",
        "库版本（导出时）：",
    ]
    lines += [f"  - {k} {v or '（未安装）'}" for k, v in env["libraries"].items()]
    for n, info in enumerate(env["crawl_time"], 1):
        lines.append(f"抓取时环境 {n}（WARC warcinfo）：")
        lines += [f"  - {k}：{v}" for k, v in info.items()]
    lines.append(f"说明：{env['note']}")
    return "\n".join(lines) + "\n"


def _both(utc: str) -> str:
    at = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    return f"{shanghai_text(at)} / {utc} (UTC)"
