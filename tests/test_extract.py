"""Text extraction: what a reader sees, line structure kept, scripts and NULs dropped."""

from parsel import Selector

from crawlers.extract import extract_fields, select_field

HTML = """<div class="job-desc"><p>诚聘 二级建造师</p><p>要求：驻场<br>缴纳社保</p>
<script>alert(1)</script><img src=x onerror="alert(2)">尾\x00注</div>
<span class="salary"> 2.5万/年 </span><a class="t" href="/zhaopin/1x.shtml">链接</a>"""


def test_block_text_keeps_lines_drops_scripts() -> None:
    sel = Selector(text=HTML).root
    assert select_field(sel, "div.job-desc") == "诚聘 二级建造师\n要求：驻场\n缴纳社保\n尾注"


def test_pseudo_selectors_verbatim() -> None:
    sel = Selector(text=HTML).root
    assert extract_fields(sel, {"price": "span.salary", "href": "a.t::attr(href)",
                                "missing": "h1"}) == {"price": "2.5万/年",
                                                      "href": "/zhaopin/1x.shtml"}


def test_escaped_markup_stays_text() -> None:
    sel = Selector(text='<h1>&lt;script&gt;alert("x")&lt;/script&gt;办证</h1>').root
    assert select_field(sel, "h1") == '<script>alert("x")</script>办证'


def test_clean_lines_drops_exactly_the_c0_controls_but_tab_and_newline() -> None:
    import random

    from crawlers.extract import clean_lines

    def reference(raw: str) -> str:  # the original character-by-character definition
        raw = "".join(ch for ch in raw if ch in "\n\t" or ch >= " ")
        lines = (" ".join(line.split()) for line in raw.split("\n"))
        return "\n".join(line for line in lines if line)

    rng = random.Random(7)
    alphabet = [chr(i) for i in range(40)] + list("挂证 ab\u3000\xa0\x7f\x85")
    for _ in range(3000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert clean_lines(raw) == reference(raw), repr(raw)


def test_class_fast_path_matches_the_xpath_on_awkward_markup() -> None:
    """`tag.class` selectors skip XPath; the elements found must be exactly the XPath's."""
    import random

    from lxml import etree

    from crawlers.extract import compile_css

    tokens = ["job-title", "job-title-x", "x-job-title", "JOB-TITLE", "job", "title", "a"]
    spaces = [" ", "  ", "\t", "\n", "\r\n", "\f", "\u3000", "\xa0"]
    rng = random.Random(7)

    def element(depth: int) -> str:
        tag = rng.choice(["div", "h1", "span", "p", "DIV", "li"])
        classes = rng.choice(spaces).join(rng.sample(tokens, rng.randint(0, 3)))
        attr = rng.choice([f' class="{rng.choice(spaces)}{classes}{rng.choice(spaces)}"',
                           f" class='{classes}'", "", ' class=""', f" data-class='{classes}'"])
        inner = "".join(element(depth + 1) for _ in range(rng.randint(0, 3) if depth < 4 else 0))
        return f"<{tag}{attr}>t<!-- c -->{inner}</{tag}>"

    selectors = ["div.job-title", "h1.job-title", ".job-title", "span.a", ".title", "li.job"]
    for _ in range(300):
        root = etree.fromstring(f"<html><body>{element(0)}</body></html>",
                                etree.HTMLParser())
        for css in selectors:
            compiled = compile_css(css)
            assert compiled.cls is not None  # the fast path is the one under test
            for node in (root, *root.iter("div")):
                assert compiled.select(node) == compiled.xpath(node), css
                expected = compiled.xpath(node)
                assert compiled.first(node) is (expected[0] if expected else None)


def test_other_selectors_keep_the_xpath() -> None:
    from crawlers.extract import compile_css

    for css in ("div.pager a.next::attr(href)", "h1", "div > p.x", "a.t::text", "p.a.b"):
        assert compile_css(css).cls is None, css
