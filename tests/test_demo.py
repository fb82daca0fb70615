"""`certwatch demo --no-serve`, the main job a newcomer runs, end to end."""

import re
from pathlib import Path

import pytest

from tests.conftest import certwatch

pytestmark = pytest.mark.browser


# Two crawls and a hunt with Chromium: minutes on a busy machine; the suite-wide 300 s
# timeout is for hangs, and the child process has its own 900 s limit.
@pytest.mark.timeout(1200)
def test_demo_crawls_two_nights_and_reports_changes(tmp_path: Path) -> None:
    proc = certwatch("demo", "--no-serve", home=tmp_path, timeout=900)
    out = proc.stdout
    assert len(re.findall(r"^source\s+status\s+pages\s+listings", out, re.M)) == 2, out
    for site in ("jobs58", "zhipin", "xianyu", "tieba", "hostile"):
        assert re.search(rf"^{site}\s+finished", out, re.M), site
    changes = re.search(r"new (\d+), changed (\d+), removed (\d+), reappeared (\d+)", out)
    assert changes and all(int(n) > 0 for n in changes.groups()[:3]), out[-2000:]
    assert re.search(r"store: \d+ listings \(\d+ online\), every version kept", out)
    # The lookalike hunt after the crawl: the sandbox fakes are proved fake, the honest not.
    for fake in ("zlaq-mohurd.cn", "www.mohurd-zscx.com", "zlaq.mohurd.gov.cn.cxzs.top",
                 "www.chinasafety-tzzy.com"):
        assert re.search(rf"^{re.escape(fake)}\s.*称有效\s+仿冒 lookalike", out, re.M), fake
    for honest in ("www.mot.gov.cn", "www.huaxia-jianpei.com"):
        assert re.search(rf"^{re.escape(honest)}\s.*正常 benign", out, re.M), honest
    # It ends with the top hits (issue §5): the last results section, after the hunt, with
    # at least one flagged listing shown with its label and score; only a hint follows.
    banners = re.findall(r"^== (.*) ==$", out, re.M)
    assert banners[-1] == "top 10 hits by risk score", banners
    hunt = out.index("== lookalike query sites: hunting")
    top = out.index("== top 10 hits by risk score ==")
    assert hunt < top
    scores = [float(score) for score in re.findall(
        r"^  #\d+\s+(?:guazheng|fake_cert|exam_fraud)\s+(\d\.\d\d)  ", out[top:], re.M)]
    assert scores and scores == sorted(scores, reverse=True), out[top:]
    assert all(0.0 < score <= 1.0 for score in scores)
    after = [line for line in out[top:].splitlines()[1:]
             if line.strip() and not line.startswith("  ")]
    assert len(after) == 1 and after[0].startswith("next: "), after
