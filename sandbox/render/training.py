"""An honest training company (www.huaxia-jianpei.com): the benign neighbour of the fakes.

It talks about the same certificates, links to the official query platform, has its own logo,
an enrolment form (POST `/baoming`) and a query for its own training records
(`/xueyuan/cx?pxbh=`), which answers "未查询到" for numbers it never issued.
"""

from __future__ import annotations

from sandbox.hosts import OFFICIAL_SITES, OTHER_PORTALS
from sandbox.render.emblem import logo_png
from sandbox.render.page import SANDBOX_NOTE, Page, Query, esc, html_page

NAME = "华夏建培教育"
TITLE = f"{NAME} - 建造师 安全员 特种作业考前培训"
ICP = "苏ICP备2021047718号-1"
NOT_FOUND = "未查询到该培训证明，请联系教务老师核实"
KNOWN = {"HXJP-2026-00172": "周海，二级建造师（市政）考前培训，2026年3月结业"}


def _shell(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f"<title>{esc(title)}</title><style>body{{font:15px/1.7 sans-serif;margin:0}}"
        ".nav{background:#145caa;color:#fff;padding:10px 30px}.nav img{width:48px;"
        "vertical-align:middle}.wrap{width:900px;margin:20px auto}</style></head><body>"
        f'<div class="nav"><img src="/img/logo.png" alt="{NAME}"> {NAME}</div>'
        f'<div class="wrap">{body}</div><p style="text-align:center;font-size:12px">'
        f"© 2026 {NAME}　{ICP}　沙箱站点</p></body></html>"
    )


HOME = (
    "<h1>二级建造师、安全员、特种作业考前培训</h1>"
    "<p>面授＋网课，真题讲解，考试须本人参加，本校不代办证书、不承诺包过。</p>"
    "<p>证书真伪请到官方平台查询：全国工程质量安全监管信息平台"
    f'（<a href="http://{OFFICIAL_SITES["zlaq"]}/cx/">{OFFICIAL_SITES["zlaq"]}</a>）。</p>'
    "<h2>在线报名</h2>"
    '<form action="/baoming" method="post"><p>姓名 <input name="xm"></p>'
    '<p>手机号 <input name="sj" type="tel"></p>'
    '<p>报考科目 <select name="km"><option>二级建造师</option><option>安全员C证</option>'
    "<option>电工作业</option></select></p><p><button>提交报名</button></p></form>"
    "<h2>学员培训证明查询</h2>"
    '<form action="/xueyuan/cx" method="get"><p>培训证明编号 <input name="pxbh"></p>'
    "<p><button>查询</button></p></form>"
)


class TrainingSite:
    host = OTHER_PORTALS["training"]
    post_paths = frozenset({"/baoming"})

    def __init__(self) -> None:
        self.pages = {
            "/": html_page(_shell(TITLE, HOME)),
            "/img/logo.png": Page(200, logo_png(), "image/png"),
            "/baoming": html_page(
                _shell(f"报名-{NAME}", "<p>报名信息已提交，教务老师将电话联系您。</p>")
            ),
        }
        self.not_found = html_page(_shell("404", "<p>页面不存在</p>"), 404)

    def route(self, path: str, query: Query) -> Page:
        if path == "/xueyuan/cx":
            record = KNOWN.get(query.get("pxbh", "").strip())
            answer = esc(record) if record else NOT_FOUND
            return html_page(_shell(f"培训证明查询-{NAME}", f"<p>{answer}</p>"))
        return self.pages.get(path, self.not_found)
