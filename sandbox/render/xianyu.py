"""www.xianyu-sandbox.cn: a marketplace whose listings exist only through JavaScript + JSON.

The HTML shells carry no listing text at all; an inline script fetches /api/items (feed) or
/api/item/KEY (detail) and builds the cards with createElement/textContent only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sandbox.hosts import SITES
from sandbox.listing import Post
from sandbox.render.page import (
    EFFECT_GZIP,
    JSON_UTF8,
    SANDBOX_NOTE,
    Page,
    Query,
    esc,
    html_page,
)

FEED_LIMIT = 20
MAX_LIMIT = 50

STYLE = """
body{margin:0;font:14px/1.5 "PingFang SC","Microsoft YaHei",sans-serif;background:#f5f5f5;
color:#111}
.top{background:#ffe60f;padding:12px 0}.top .inner{width:1000px;margin:0 auto;display:flex;gap:20px}
.logo{font-size:22px;font-weight:700}
.search input{width:420px;padding:6px 12px;border-radius:18px;border:0}
#feed{width:1000px;margin:16px auto;display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.item-card{background:#fff;border-radius:10px;padding:12px}.item-title{font-size:15px;margin:4px 0}
.item-desc{color:#555;font-size:13px;max-height:120px;overflow:hidden}.item-price{color:#ff4400;font-weight:700}
.seller,.area,.posted{display:block;color:#999;font-size:12px}
#load-more{display:block;margin:16px auto 40px;padding:8px 40px;border-radius:18px;border:0;
background:#ffe60f}
#detail{width:760px;margin:16px auto;background:#fff;border-radius:10px;padding:24px}
"""

# Shared by both shells: builds one card with the same classes in the feed and on the detail page.
CARD_JS = """
function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function withBreaks(node, text) {
  String(text || "").split("\\n").forEach(function (line, i) {
    if (i) node.appendChild(document.createElement("br"));
    node.appendChild(document.createTextNode(line));
  });
  return node;
}
function card(item) {
  var box = el("div", "item-card");
  box.setAttribute("data-key", item.key);
  var link = el("a", "item-link");
  link.setAttribute("href", "/item/" + encodeURIComponent(item.key));
  link.appendChild(el("h3", "item-title", item.title));
  box.appendChild(link);
  box.appendChild(withBreaks(el("p", "item-desc"), item.desc));
  box.appendChild(el("span", "item-price", item.price));
  box.appendChild(el("span", "seller", item.seller));
  box.appendChild(el("span", "area", item.area));
  box.appendChild(el("time", "posted", item.posted));
  return box;
}
"""

FEED_JS = """
(function () {
  var feed = document.getElementById("feed");
  var more = document.getElementById("load-more");
  var offset = 0, busy = false;
  function load() {
    if (busy) return;
    busy = true;
    more.disabled = true;
    fetch("/api/items?offset=" + offset + "&limit=%(limit)d",
{headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.items.forEach(function (item) { feed.appendChild(card(item)); });
        offset += data.items.length;
        if (data.has_more) { more.disabled = false; } else { more.parentNode.removeChild(more); }
        busy = false;
      })
      .catch(function () { busy = false; more.disabled = false; });
  }
  more.addEventListener("click", load);
  load();
})();
"""

DETAIL_JS = """
(function () {
  var detail = document.getElementById("detail");
  var key = detail.getAttribute("data-key");
  fetch("/api/item/" + encodeURIComponent(key), {headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (item) { detail.appendChild(card(item)); })
    .catch(function () { detail.appendChild(el("p", "gone", "宝贝不存在或已下架")); });
})();
"""


def _shell(title: str, query: str, main: str, script: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f'<title>{esc(title)}</title><meta name="viewport" content="width=device-width">'
        f'<style>{STYLE}</style></head><body><div class="top"><div class="inner">'
        '<a class="logo" href="/">闲鱼</a><form class="search" action="/search" method="get">'
        f'<input name="q" value="{esc(query)}" placeholder="搜索闲置"><button>搜索</button></form>'
        '<a href="#" rel="nofollow">发闲置</a><a href="#" rel="nofollow">登录</a></div></div>'
        f"{main}<script>{CARD_JS}{script}</script>"
        '<div class="foot" style="text-align:center;color:#aaa;font-size:12px;padding:20px">'
        "闲鱼沙箱 · 测试数据 · 交易请走平台担保</div></body></html>"
    )


def search_page(query: str) -> str:
    main = '<div id="feed"></div><button id="load-more" type="button">加载更多</button>'
    return _shell(f"{query} - 闲鱼搜索", query, main, FEED_JS % {"limit": FEED_LIMIT})


def detail_shell(key: str) -> str:
    return _shell(
        "闲鱼 - 宝贝详情", "", f'<div id="detail" data-key="{esc(key)}"></div>', DETAIL_JS
    )


def item_json(post: Post) -> dict[str, str | None]:
    t = post.truth
    return {
        "key": t.key,
        "title": t.title,
        "desc": t.text,
        "price": t.price,
        "seller": t.contact or post.person,
        "area": t.region,
        "posted": t.posted,
    }


def _json(value: object, status: int = 200) -> Page:
    return Page(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), JSON_UTF8)


class Xianyu:
    host = SITES["xianyu"]

    def __init__(self, posts: Sequence[Post]) -> None:
        # Feed slices are joined from pre-encoded items, so any offset/limit stays cheap.
        self.encoded = [json.dumps(item_json(p), ensure_ascii=False).encode("utf-8") for p in posts]
        self.items = {p.truth.key: _json(item_json(p)) for p in posts}
        self.shells = {p.truth.key: html_page(detail_shell(p.truth.key)) for p in posts}
        self.gone_shell = html_page(detail_shell(""), status=404)
        self.gone_json = _json({"error": "not found"}, 404)
        self.home = html_page(
            _shell(
                "闲鱼 - 闲置交易",
                "",
                '<div id="detail"><h2>热门搜索</h2><p>'
                '<a href="/search?q=%E8%AF%81%E4%B9%A6">证书</a> '
                '<a href="/search?q=%E6%95%99%E6%9D%90">教材</a> '
                '<a href="/search?q=%E5%B7%A5%E5%85%B7">工具</a></p></div>',
                "",
            )
        )

    def feed(self, query: Query) -> Page:
        try:
            offset = max(0, int(query.get("offset", "0")))
            limit = min(MAX_LIMIT, max(1, int(query.get("limit", str(FEED_LIMIT)))))
        except ValueError:
            return _json({"error": "bad offset/limit"}, 400)
        chunk = self.encoded[offset : offset + limit]
        has_more = "true" if offset + limit < len(self.encoded) else "false"
        body = b'{"items":[' + b",".join(chunk) + b'],"has_more":' + has_more.encode() + b"}"
        return Page(200, body, JSON_UTF8, effect=EFFECT_GZIP)

    def route(self, path: str, query: Query) -> Page:
        if path == "/search":
            return html_page(search_page(query.get("q", "")))
        if path == "/api/items":
            return self.feed(query)
        if path.startswith("/api/item/"):
            return self.items.get(path.removeprefix("/api/item/"), self.gone_json)
        if path.startswith("/item/"):
            return self.shells.get(path.removeprefix("/item/"), self.gone_shell)
        if path == "/":
            return self.home
        return self.gone_shell
