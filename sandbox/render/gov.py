"""The certificate-query platform replica and two lookalikes (GUIDE.md §1, 贵阳/四川 notices).

Official (zlaq.mohurd.gov.cn): /cx/result finds only the numbers in VALID_CERTIFICATES.
Lookalike A (zlaq-mohurd.cn): same title, emblem, form and paths; "证书有效" for ANY number.
Lookalike B (www.mohurd-zscx.com): its own layout, no emblem, form at / -> /search/?zsbh=&xm=;
"证书有效" for any number.
Lookalike C (zlaq.mohurd.gov.cn.cxzs.top): the official pages byte for byte except the footer's
ICP/公安备案 claims, which it drops; its form POSTs; any number is "证书有效".
Every /cx/result answers GET and POST (form fields zsbh, sfzh).
Lookalike E (www.zlaq-chaxun.com): a plain "service centre" layout of its own, no emblem, and
the official footer's ICP and 公安备案 numbers copied unchanged; form at / ->
/chaxun/result?zsbh=&sfzh=; "证书有效" for any number. (D, the hostile one, is in tzzy.py.)
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from sandbox.content import vocab
from sandbox.hosts import LOOKALIKES, OFFICIAL_SITES
from sandbox.render.emblem import emblem_png
from sandbox.render.page import SANDBOX_NOTE, Page, Query, esc, html_page


@dataclass(frozen=True)
class Holder:
    name: str
    id_number: str
    cert_type: str
    issuer: str
    issued: str
    expires: str


# The only numbers the genuine platform knows (id numbers are synthetic).
VALID_CERTIFICATES: dict[str, Holder] = {
    "皖建安C(2021)0012345": Holder(
        "王建国",
        "340104198503121234",
        "建筑施工企业专职安全生产管理人员（C证）",
        "安徽省住房和城乡建设厅",
        "2021-06-18",
        "2027-06-17",
    ),
    "苏建安B(2020)0031876": Holder(
        "李晓峰",
        "320102197911052216",
        "建筑施工企业项目负责人（B证）",
        "江苏省住房和城乡建设厅",
        "2020-09-02",
        "2026-12-31",
    ),
    "川A042022001167": Holder(
        "张勇",
        "510107198808083317",
        "建筑施工特种作业（塔式起重机司机）",
        "四川省住房和城乡建设厅",
        "2022-03-15",
        "2028-03-14",
    ),
    "黔A012023000458": Holder(
        "杨明",
        "520102199202174415",
        "建筑施工特种作业（建筑电工）",
        "贵州省住房和城乡建设厅",
        "2023-07-21",
        "2029-07-20",
    ),
    "吉建安C(2024)0002219": Holder(
        "赵丽",
        "220104199407260028",
        "建筑施工企业专职安全生产管理人员（C证）",
        "吉林省住房和城乡建设厅",
        "2024-11-08",
        "2030-11-07",
    ),
}

NOT_FOUND = "未查询到相关证书信息"
VALID = "证书有效"

OFFICIAL_ICP = ("京ICP备05005012号-3", "京公网安备 11010802030155号")
COPY_ICP = ("京ICP备05005021号-3", "京公网安备 11010802030515号")  # one digit pair swapped
ZSCX_ICP = "豫ICP备2023031877号-1"

PLATFORM = "全国工程质量安全监管信息平台"

GOV_STYLE = """
body{margin:0;font:14px/1.7 "Microsoft YaHei",SimSun,sans-serif;background:#f0f3f7;color:#333}
.gov-head{background:linear-gradient(#1b5eab,#12478a);color:#fff;padding:14px 0}
.gov-head .inner,.gov-nav .inner,.main,.gov-foot .inner{width:1100px;margin:0 auto}
.gov-head img{vertical-align:middle;width:64px;height:64px;margin-right:14px}
.gov-head h1{display:inline;font-size:26px;letter-spacing:2px}.gov-nav{background:#0d3c78}
.gov-nav a{color:#fff;display:inline-block;padding:10px 22px;text-decoration:none}
.main{background:#fff;margin-top:14px;padding:24px;min-height:360px}
.notice li{list-style:square;border-bottom:1px dotted #ccc;padding:4px 0}
.cx-form label{display:inline-block;width:90px}
.cx-form input,.cx-form select{width:320px;padding:4px}
.result-table th{background:#eef3fa;width:140px;text-align:right;padding:6px}
.result-table td{padding:6px}
.result-status{color:#0a7a2f;font-size:18px;font-weight:bold}.no-result{color:#c00;font-size:16px}
.gov-foot{background:#2b3a4f;color:#c9d2de;font-size:12px;padding:16px 0;margin-top:20px;
text-align:center}
"""

NOTICES = (
    ("关于做好建筑施工特种作业人员证书电子化工作的通知", "2026-10-30"),
    ("安全生产考核合格证书查询服务说明", "2026-09-12"),
    ("关于防范假冒证书查询网站的提示", "2026-08-05"),
    ("工程质量安全监管信息平台系统维护公告", "2026-07-19"),
)


def _gov_shell(title: str, body: str, icp: tuple[str, str] | None, extra: str = "") -> str:
    claims = (
        f'<span class="icp">{esc(icp[0])}</span>　<span class="gongan">{esc(icp[1])}</span>　'
        if icp else ""
    )
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f"<title>{esc(title)}</title><style>{GOV_STYLE}</style></head><body>"
        '<div class="gov-head"><div class="inner"><img src="/static/emblem.png" alt="国徽">'
        f"<h1>{PLATFORM}</h1></div></div>"
        '<div class="gov-nav"><div class="inner"><a href="/">首页</a><a href="/cx/">证书查询</a>'
        '<a href="#">工程质量</a><a href="#">安全生产</a><a href="#">政策法规</a>'
        '<a href="#">通知公告</a>'
        f'</div></div><div class="main">{body}</div>{extra}'
        '<div class="gov-foot"><div class="inner"><p>主办单位：中华人民共和国住房和城乡建设部　'
        "技术支持：住房和城乡建设部信息中心</p>"
        f"<p>{claims}网站标识码 bm000000(沙箱)</p><p>党政机关 · 本站为测试沙箱复制品</p>"
        "</div></div></body></html>"
    )


def _home(icp: tuple[str, str] | None, extra: str = "") -> str:
    notices = "".join(
        f'<li><a href="#">{esc(t)}</a> <span class="date">{d}</span></li>' for t, d in NOTICES
    )
    body = (
        "<h2>证书查询</h2><p>可查询建筑施工企业“安管人员”安全生产考核合格证书、建筑施工特种作业"
        '操作资格证书。<a href="/cx/">进入查询</a></p>'
        f'<h2>通知公告</h2><ul class="notice">{notices}</ul>'
    )
    return _gov_shell(PLATFORM, body, icp, extra)


def _form_page(icp: tuple[str, str] | None, extra: str = "", method: str = "get") -> str:
    body = (
        "<h2>证书信息查询</h2>"
        f'<form class="cx-form" id="cxForm" action="/cx/result" method="{method}">'
        '<p><label for="zslb">证书类别</label><select name="zslb" id="zslb">'
        '<option value="aqsc">安全生产考核合格证书（三类人员）</option>'
        '<option value="tzzy">建筑施工特种作业操作资格证书</option></select></p>'
        '<p><label for="zsbh">证书编号</label><input name="zsbh" id="zsbh" maxlength="40"></p>'
        '<p><label for="sfzh">身份证号</label><input name="sfzh" id="sfzh" maxlength="18"></p>'
        '<p><button type="submit">查询</button></p></form>'
        "<p>说明：证书编号与身份证号须与发证机关登记信息一致。</p>"
    )
    return _gov_shell(f"证书查询-{PLATFORM}", body, icp, extra)


def _holder_table(number: str, holder: Holder) -> str:
    masked = holder.id_number[:4] + "*" * 10 + holder.id_number[-4:]
    rows = (
        ("证书编号", number),
        ("姓名", holder.name),
        ("身份证号", masked),
        ("证书类别", holder.cert_type),
        ("发证机关", holder.issuer),
        ("发证日期", holder.issued),
        ("有效期至", holder.expires),
        ("证书状态", "有效"),
    )
    cells = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<p class="result-status">{VALID}</p><table class="result-table">{cells}</table>'


def _result_page(
    number: str, holder: Holder | None, icp: tuple[str, str] | None, extra: str = ""
) -> str:
    found = _holder_table(number, holder) if holder else f'<p class="no-result">{NOT_FOUND}</p>'
    body = f'<h2>查询结果</h2>{found}<p><a href="/cx/">重新查询</a></p>'
    return _gov_shell(f"查询结果-{PLATFORM}", body, icp, extra)


def fabricated_holder(number: str) -> Holder:
    """What a fake query site invents for any number: stable per number, never checked."""
    rng = random.Random(zlib.crc32(number.encode("utf-8")))
    province = rng.choice(sorted(vocab.PROVINCE_ABBR))
    year = rng.randint(2019, 2025)
    id_number = (
        f"{rng.randint(110000, 659000)}{rng.randint(1970, 2002)}{rng.randint(1, 12):02d}"
        f"{rng.randint(1, 28):02d}{rng.randint(0, 9999):04d}"
    )
    return Holder(
        name=rng.choice(vocab.SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"),
        id_number=id_number,
        cert_type=rng.choice([full for _, full in vocab.SPECIAL_CERTS]),
        issuer=f"{province}住房和城乡建设厅",
        issued=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        expires=f"{year + 6}-12-31",
    )


def _png(data: bytes) -> Page:
    return Page(200, data, "image/png")


class OfficialPortal:
    """The genuine query platform (replica): knows only a handful of certificates."""

    host = OFFICIAL_SITES["zlaq"]
    icp: tuple[str, str] | None = OFFICIAL_ICP
    extra = ""
    form_method = "get"
    post_paths = frozenset({"/cx/result"})

    def __init__(self) -> None:
        self.pages = {
            "/": html_page(_home(self.icp, self.extra)),
            "/cx/": html_page(_form_page(self.icp, self.extra, self.form_method)),
            "/static/emblem.png": _png(emblem_png()),
        }
        self.not_found = html_page(
            _gov_shell("页面不存在", "<h2>您访问的页面不存在</h2>", self.icp), 404
        )

    def lookup(self, number: str, id_number: str) -> Holder | None:
        holder = VALID_CERTIFICATES.get(number)
        if holder and id_number and id_number.upper() != holder.id_number:
            return None
        return holder

    def route(self, path: str, query: Query) -> Page:
        if path == "/cx/result":
            number = query.get("zsbh", "").strip()
            holder = self.lookup(number, query.get("sfzh", "").strip()) if number else None
            return html_page(_result_page(number, holder, self.icp, self.extra))
        if path == "/cx":
            return self.pages["/cx/"]
        return self.pages.get(path, self.not_found)


class CopiedPortal(OfficialPortal):
    """Lookalike A: a near-copy of the official pages on a non-.gov.cn domain."""

    host = LOOKALIKES["zlaq_copy"]
    icp = COPY_ICP
    extra = (
        '<div class="kefu" style="position:fixed;right:10px;bottom:80px;background:#1b5eab;'
        'color:#fff;padding:8px">在线客服<br>证书办理咨询</div>'
    )

    def lookup(self, number: str, id_number: str) -> Holder | None:
        return fabricated_holder(number)


class MirrorPortal(OfficialPortal):
    """Lookalike C: the official pages copied whole, minus the ICP claims; the form POSTs."""

    host = LOOKALIKES["zlaq_mirror"]
    icp = None
    form_method = "post"

    def lookup(self, number: str, id_number: str) -> Holder | None:
        return fabricated_holder(number)


ZSCX_STYLE = """
body{margin:0;font:14px/1.6 Arial,"Microsoft YaHei";background:#eaf4ff}
.banner{background:linear-gradient(90deg,#0a58ca,#33a1ff);color:#fff;padding:30px;text-align:center}
.banner h1{margin:0;font-size:30px}.box{width:720px;margin:30px auto;background:#fff;padding:30px;
border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.1)}
.box input{width:420px;padding:8px;margin:6px 0}
.ok{color:#0a0;font-size:22px;font-weight:bold}.ads{width:720px;margin:0 auto;color:#c00}
"""
ZSCX_TITLE = "全国建筑施工特种作业人员证书查询中心"


def _zscx_shell(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f"<title>{esc(title)}</title><style>{ZSCX_STYLE}</style></head><body>"
        f'<div class="banner"><h1>{ZSCX_TITLE}</h1><p>权威 · 快速 · 全国联网</p></div>{body}'
        '<div class="ads"><p>证书新办、补办、年审、加急，请联系在线客服（工作时间 8:00-22:00）'
        "</p></div>"
        f'<p style="text-align:center;color:#888;font-size:12px">Copyright 2026 证书查询中心 '
        f"{ZSCX_ICP} 沙箱站点</p></body></html>"
    )


class ZscxPortal:
    """Lookalike B: its own layout and form; every number "verifies"."""

    host = LOOKALIKES["zscx"]

    def __init__(self) -> None:
        form = (
            '<div class="box"><h2>证书查询</h2><form action="/search/" method="get">'
            '<p>证书编号：<input name="zsbh" placeholder="请输入证书编号"></p>'
            '<p>姓　　名：<input name="xm" placeholder="请输入持证人姓名"></p>'
            '<p><button type="submit">立即查询</button></p></form></div>'
        )
        self.home = html_page(_zscx_shell(ZSCX_TITLE, form))
        self.not_found = html_page(_zscx_shell("404", '<div class="box">页面不存在</div>'), 404)

    def route(self, path: str, query: Query) -> Page:
        if path in ("/", "/index.html"):
            return self.home
        if path == "/search/":
            number = query.get("zsbh", "").strip() or "（空）"
            holder = fabricated_holder(number)
            name = query.get("xm", "").strip() or holder.name
            body = (
                f'<div class="box"><p class="ok">{VALID}</p><table>'
                f"<tr><td>证书编号：</td><td>{esc(number)}</td></tr>"
                f"<tr><td>姓名：</td><td>{esc(name)}</td></tr>"
                f"<tr><td>证书类别：</td><td>{esc(holder.cert_type)}</td></tr>"
                f"<tr><td>发证机关：</td><td>{esc(holder.issuer)}</td></tr>"
                f"<tr><td>有效期至：</td><td>{esc(holder.expires)}</td></tr></table>"
                '<p><a href="/">返回查询</a></p></div>'
            )
            return html_page(_zscx_shell(f"查询结果-{ZSCX_TITLE}", body))
        return self.not_found


CXFW_STYLE = """
body{margin:0;font:15px/1.8 "PingFang SC","Microsoft YaHei",sans-serif;background:#fafafa}
.top{background:#c8161d;color:#fff;padding:18px 40px;font-size:22px;letter-spacing:1px}
.top small{font-size:13px;margin-left:12px;opacity:.85}.wrap{width:860px;margin:24px auto}
.card{background:#fff;border:1px solid #e3e3e3;padding:26px 32px;margin-bottom:18px}
.card label{display:inline-block;width:96px}.card input{width:380px;padding:6px}
.pass{color:#c8161d;font-size:20px;font-weight:bold}.bottom{text-align:center;font-size:12px;
color:#777;padding:18px 0;border-top:1px solid #ddd}
"""
CXFW_TITLE = "安管人员证书查询服务平台"


def _cxfw_shell(title: str, body: str) -> str:
    # The official numbers, copied as they are: this copy claims to BE the registered site.
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f"<title>{esc(title)}</title><style>{CXFW_STYLE}</style></head><body>"
        f'<div class="top">{CXFW_TITLE}<small>三类人员 · 特种作业 · 在线核验</small></div>'
        f'<div class="wrap">{body}</div>'
        '<div class="bottom"><p>证书查询服务平台　版权所有　未经许可不得转载</p>'
        f'<p><span class="icp">{esc(OFFICIAL_ICP[0])}</span>　'
        f'<span class="gongan">{esc(OFFICIAL_ICP[1])}</span>　沙箱站点</p></div></body></html>'
    )


class IcpCopyPortal:
    """Lookalike E: its own pages, the official ICP claims copied; every number "verifies"."""

    host = LOOKALIKES["icp_copy"]

    def __init__(self) -> None:
        form = (
            '<div class="card"><h2>证书真伪核验</h2>'
            '<form action="/chaxun/result" method="get">'
            '<p><label for="zsbh">证书编号</label><input name="zsbh" id="zsbh"'
            ' placeholder="如：京建安C(2020)0001234"></p>'
            '<p><label for="sfzh">身份证号</label><input name="sfzh" id="sfzh" maxlength="18"></p>'
            '<p><button type="submit">核 验</button></p></form></div>'
            '<div class="card"><p>本平台提供建筑施工企业三类人员、特种作业人员证书在线核验，'
            "数据每日同步，结果可截图作为用工查验凭证。</p></div>"
        )
        self.home = html_page(_cxfw_shell(CXFW_TITLE, form))
        self.not_found = html_page(_cxfw_shell("404", '<div class="card">页面不存在</div>'), 404)

    def route(self, path: str, query: Query) -> Page:
        if path in ("/", "/index.html"):
            return self.home
        if path == "/chaxun/result":
            number = query.get("zsbh", "").strip() or "（空）"
            holder = fabricated_holder(number)
            rows = (("证书编号", number), ("持证人", holder.name),
                    ("证书类别", holder.cert_type), ("发证机关", holder.issuer),
                    ("有效期至", holder.expires))
            cells = "".join(f"<tr><td>{esc(k)}：</td><td>{esc(v)}</td></tr>" for k, v in rows)
            body = (f'<div class="card"><p class="pass">{VALID}</p><table>{cells}</table>'
                    '<p><a href="/">继续核验</a></p></div>')
            return html_page(_cxfw_shell(f"核验结果-{CXFW_TITLE}", body))
        return self.not_found
