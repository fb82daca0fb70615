"""Every hostname the sandbox answers for, and the crawl entry points."""

from __future__ import annotations

from urllib.parse import quote

# Listing sites: site name -> hostname.
SITES: dict[str, str] = {
    "jobs58": "jobs.58-sandbox.cn",
    "zhipin": "www.zhipin-sandbox.cn",
    "xianyu": "www.xianyu-sandbox.cn",
    "tieba": "tieba.baidu-sandbox.cn",
    "hostile": "www.hostile-sandbox.cn",
}
# The genuine certificate-query platform (replica) and the fakes that imitate it.
OFFICIAL_SITES: dict[str, str] = {"zlaq": "zlaq.mohurd.gov.cn"}
LOOKALIKES: dict[str, str] = {
    "zlaq_copy": "zlaq-mohurd.cn",  # near-copy, emblem, a different ICP number
    "zscx": "www.mohurd-zscx.com",  # own layout, no emblem
    "zlaq_mirror": "zlaq.mohurd.gov.cn.cxzs.top",  # exact copy, POST form, no ICP claim
    "tzzy": "www.chinasafety-tzzy.com",  # hostile: redirects, scripts, JS-built form, huge DOM
    "icp_copy": "www.zlaq-chaxun.com",  # own layout, the official ICP number unchanged
}
# Query sites that are NOT fakes: another department's genuine portal and a training company.
OTHER_PORTALS: dict[str, str] = {
    "mot": "www.mot.gov.cn",
    "training": "www.huaxia-jianpei.com",
}

ALL_HOSTS: tuple[str, ...] = (*SITES.values(), *OFFICIAL_SITES.values(), *LOOKALIKES.values(),
                              *OTHER_PORTALS.values())
# The control endpoints (/__sandbox__/...) answer only on these.
CONTROL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Forum name (kw) per tieba topic.
TIEBA_FORUMS: dict[str, str] = {"registered": "建造师", "safety": "安全员", "special": "特种作业"}

START_URLS: dict[str, tuple[str, ...]] = {
    "jobs58": (f"http://{SITES['jobs58']}/zhaopin/",),
    "zhipin": (f"http://{SITES['zhipin']}/c101/?page=1",),
    "xianyu": (f"http://{SITES['xianyu']}/search?q={quote('证书')}",),
    # UTF-8 percent-encoding here; the forum's own pager links use GBK (both are accepted).
    "tieba": tuple(
        f"http://{SITES['tieba']}/f?kw={quote(kw)}&pn=0" for kw in TIEBA_FORUMS.values()
    ),
    "hostile": (f"http://{SITES['hostile']}/list/",),
}
TIEBA_START_URLS = START_URLS["tieba"]
