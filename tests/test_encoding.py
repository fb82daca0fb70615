"""Codec detection for pages whose charset header is missing or wrong."""

import codecs

from crawlers.encoding import detect

TEXT = "诚聘一级建造师，挂证勿扰；本公司缴纳社保。特种作业操作证查询"


def test_gbk_without_charset_header() -> None:
    body = f"<html><body>{TEXT}</body></html>".encode("gbk")
    codec, exact = detect(body, "text/html")
    assert exact and body.decode(codec) == f"<html><body>{TEXT}</body></html>"


def test_gbk_behind_a_lying_utf8_header() -> None:
    body = f"<p>{TEXT}</p>".encode("gbk")
    codec, exact = detect(body, "text/html; charset=utf-8")
    assert exact and codec == "gb18030" and TEXT in body.decode(codec)


def test_meta_charset_beats_guessing() -> None:
    body = f'<meta charset="big5"><p>{"證書"}</p>'.encode("big5")
    codec, exact = detect(body, "text/html")
    assert exact and codec == "big5"


def test_truthful_header_wins() -> None:
    body = TEXT.encode("utf-8")
    assert detect(body, "text/html; charset=UTF-8") == ("utf-8", True)


def test_bom() -> None:
    assert detect(codecs.BOM_UTF8 + TEXT.encode("utf-8"), "text/html; charset=gbk")[0] == "utf-8"


def test_undecodable_reports_inexact() -> None:
    body = b"<p>" + b"\xff" * 3 + TEXT.encode("utf-8")
    codec, exact = detect(body, None, hint="utf-8")
    assert not exact and codec == "utf-8"
