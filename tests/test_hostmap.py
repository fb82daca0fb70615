"""Host mapping to loopback, and Retry-After parsing."""

from email.utils import formatdate

from crawlers.hostmap import HostMap
from crawlers.middlewares.retry_after import retry_after_seconds


def test_exact_and_wildcard_targets() -> None:
    hm = HostMap({"jobs.58-sandbox.cn": "127.0.0.1:1", "*.xianyu-sandbox.cn": "127.0.0.1:2"})
    assert hm.target("JOBS.58-sandbox.cn.") == "127.0.0.1:1"
    assert hm.target("www.xianyu-sandbox.cn") == "127.0.0.1:2"
    assert hm.target("example.com") is None


def test_loopback_only_refuses_the_world() -> None:
    hm = HostMap({"jobs.58-sandbox.cn": "127.0.0.1:1"}, loopback_only=True)
    assert hm.allowed("jobs.58-sandbox.cn") and hm.allowed("127.0.0.1") and hm.allowed("::1")
    assert not hm.allowed("zlaq.mohurd.gov.cn") and not hm.allowed("10.0.0.1")
    rules = hm.chromium_rules()
    assert rules.startswith("MAP jobs.58-sandbox.cn 127.0.0.1:1") and rules.endswith(
        "MAP * ~NOTFOUND")


def test_retry_after_forms() -> None:
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds(b"soon") is None
    later = formatdate(1_000_010, usegmt=True).encode()
    assert retry_after_seconds(later, now=1_000_000) == 10.0
