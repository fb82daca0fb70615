"""Lookalike D (www.chinasafety-tzzy.com): a hostile fake of the 特种作业操作证 query.

What it throws at a page analyser, each a trick seen on real fakes:
- `/` 302s to `/go.php?to=…`, which meta-refreshes and `location.replace`s to `/cx/index.html`;
- the query form does not exist in the HTML: a script builds it (odd field names `q1`, `q2`),
  and the button POSTs JSON to `/api/verify` with fetch(), then writes the answer into the page;
- an `alert()`, a `window.open` pop-up, a disabled context menu, an `onbeforeunload` prompt, an
  iframe to a tracker host that does not exist, a beacon image on a literal IP address (which
  host-resolver rules do not cover), and ~2,000 hidden keyword-stuffing blocks inside unclosed
  tags;
- the national emblem, re-sized (72 px instead of the official 96 px) under another file name.
Any number is "证书有效" with an invented holder.
"""

from __future__ import annotations

import json

from sandbox.hosts import LOOKALIKES
from sandbox.render.emblem import emblem_png
from sandbox.render.gov import VALID, fabricated_holder
from sandbox.render.page import JSON_UTF8, SANDBOX_NOTE, Page, Query, html_page, redirect

TITLE = "特种作业操作证查询-中华人民共和国应急管理部"
STUFFING_BLOCKS = 2000
TRACKER = "http://stat.cnzz-tracker.example/core.php?id=1279"
BEACON = "http://203.0.113.7/collect?site=tzzy"  # a literal IP: no resolver rule applies

SCRIPT = """
document.oncontextmenu = function () { return false; };
window.onbeforeunload = function () { return "确定离开？"; };
setTimeout(function () { alert("本站为应急管理部授权查询入口"); }, 50);
setTimeout(function () { window.open("/promo.html", "_blank"); }, 80);
(function () {
  var app = document.getElementById("app");
  var box = document.createElement("div");
  box.className = "qbox";
  box.innerHTML = '<h2>特种作业操作证查询</h2>' +
    '<p><span class="lb">证书编号：</span>' +
    '<input id="q1" name="q1" placeholder="请输入证书编号"></p>' +
    '<p><span class="lb">姓名：</span><input id="q2" name="q2" placeholder="请输入姓名"></p>' +
    '<p><button id="btn" type="button">查 询</button></p><div id="result"></div>';
  app.appendChild(box);
  document.getElementById("btn").addEventListener("click", function () {
    var body = JSON.stringify({cert: document.getElementById("q1").value,
                               name: document.getElementById("q2").value});
    var headers = {"Content-Type": "application/json"};
    fetch("/api/verify", {method: "POST", headers: headers, body: body})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var h = d.data;
        document.getElementById("result").innerHTML = '<p class="ok">' + d.msg + '</p>' +
          '<table><tr><td>证书编号</td><td>' + h.cert + '</td></tr>' +
          '<tr><td>姓名</td><td>' + h.name + '</td></tr>' +
          '<tr><td>作业类别</td><td>' + h.type + '</td></tr>' +
          '<tr><td>有效期至</td><td>' + h.expires + '</td></tr></table>';
      });
  });
})();
"""


def _stuffing() -> str:
    block = (
        '<div class="seo" style="display:none"><span>特种作业操作证查询 电工证 焊工证 高处作业证 '
        "全国联网可查 应急管理部官网 证书办理<p>官方认证"
    )
    return block * STUFFING_BLOCKS  # the <span>/<p> are never closed: the parser must cope


def _index() -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{SANDBOX_NOTE}<title>{TITLE}</title>'
        "<style>body{margin:0;font:14px Arial;background:#f5f5f5}.top{background:#b3000c;"
        "color:#fff;padding:12px 30px}.top img{width:72px;height:72px;vertical-align:middle}"
        ".top b{font-size:24px;margin-left:12px}.qbox{width:640px;margin:30px auto;background:#fff;"
        "padding:24px}.qbox input{width:360px;padding:6px}.ok{color:#090;font-size:20px}</style>"
        '</head><body><div class="top"><img src="/images/logo_gh.png" alt="">'
        "<b>中华人民共和国应急管理部 特种作业操作证查询</b></div>"
        '<noscript>请开启JavaScript后查询</noscript><div id="app"></div>'
        f'<iframe src="{TRACKER}" width="0" height="0" style="display:none"></iframe>'
        f'<img src="{BEACON}" width="1" height="1" alt="">'
        '<marquee>全国联网 官网可查 当天出证 微信：tzzy-kefu</marquee>'
        f"{_stuffing()}<script>{SCRIPT}</script></body></html>"
    )


def _bounce(target: str) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f'<meta http-equiv="refresh" content="0;url={target}"><title>跳转中</title></head>'
        f'<body>正在跳转…<script>location.replace("{target}");</script></body></html>'
    )


class TzzyPortal:
    """Hostile lookalike: redirect chain, script-built form, JSON answer, huge odd markup."""

    host = LOOKALIKES["tzzy"]
    post_paths = frozenset({"/api/verify"})

    def __init__(self) -> None:
        self.index = html_page(_index())
        self.emblem = Page(200, emblem_png(72), "image/png")
        self.promo = html_page(
            f'<!DOCTYPE html><html><head><meta charset="utf-8">{SANDBOX_NOTE}<title>办证</title>'
            "</head><body><h1>特种作业证 免考直接拿证</h1></body></html>"
        )
        self.not_found = html_page("<html><body>404</body></html>", 404)

    def route(self, path: str, query: Query) -> Page:
        if path == "/":
            return redirect("/go.php?to=%2Fcx%2Findex.html")
        if path == "/go.php":
            return html_page(_bounce(query.get("to", "/cx/index.html")))
        if path in ("/cx/", "/cx/index.html"):
            return self.index
        if path == "/images/logo_gh.png":
            return self.emblem
        if path == "/promo.html":
            return self.promo
        if path == "/api/verify":
            number = query.get("cert", "").strip() or "（空）"
            holder = fabricated_holder(number)
            data = {"cert": number, "name": query.get("name", "").strip() or holder.name,
                    "type": holder.cert_type, "expires": holder.expires}
            body = json.dumps({"code": 0, "msg": VALID, "data": data}, ensure_ascii=False)
            return Page(200, body.encode("utf-8"), JSON_UTF8)
        return self.not_found
