"""The sandbox's query portals answer their forms by GET and POST, each the way it should."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest

from sandbox.hosts import LOOKALIKES, OFFICIAL_SITES, OTHER_PORTALS
from sandbox.render import mot, training
from sandbox.render.gov import NOT_FOUND, OFFICIAL_ICP, VALID, VALID_CERTIFICATES
from sandbox.server import SandboxServer

IMPOSSIBLE = "京建安C(1998)0000417"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as srv:
        yield srv


def call(srv: SandboxServer, method: str, host: str, path: str, body: bytes = b"",
         content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        headers = {"Host": host}
        if method == "POST":
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace"), dict(resp.headers)
    finally:
        conn.close()


def form(**fields: str) -> bytes:
    return urlencode(fields).encode("ascii")


def test_official_answers_post_and_knows_only_its_certificates(server: SandboxServer) -> None:
    host = OFFICIAL_SITES["zlaq"]
    number, holder = next(iter(VALID_CERTIFICATES.items()))
    status, text, _ = call(server, "POST", host, "/cx/result", form(zsbh=number))
    assert status == 200 and VALID in text and holder.name in text
    status, text, _ = call(server, "POST", host, "/cx/result", form(zsbh=IMPOSSIBLE))
    assert status == 200 and NOT_FOUND in text and VALID not in text
    # POST stays refused where no form lives.
    assert call(server, "POST", host, "/cx/", form(zsbh=number))[0] == 405


def test_mirror_is_the_official_page_without_icp_and_vouches_for_anything(
    server: SandboxServer,
) -> None:
    official = call(server, "GET", OFFICIAL_SITES["zlaq"], "/cx/")[1]
    mirror = call(server, "GET", LOOKALIKES["zlaq_mirror"], "/cx/")[1]
    assert "ICP备" in official and "ICP备" not in mirror
    assert 'method="post"' in mirror and '<img src="/static/emblem.png"' in mirror
    status, text, _ = call(server, "POST", LOOKALIKES["zlaq_mirror"], "/cx/result",
                           form(zsbh=IMPOSSIBLE))
    assert status == 200 and VALID in text


def test_icp_copy_shows_the_official_numbers_and_vouches_for_anything(
    server: SandboxServer,
) -> None:
    host = LOOKALIKES["icp_copy"]
    page = call(server, "GET", host, "/")[1]
    assert all(claim in page for claim in OFFICIAL_ICP) and "emblem" not in page
    status, text, _ = call(server, "GET", host, "/chaxun/result?" + urlencode(
        {"zsbh": IMPOSSIBLE, "sfzh": "110101199002300011"}))
    assert status == 200 and VALID in text and IMPOSSIBLE in text


def test_hostile_lookalike_redirects_and_answers_json(server: SandboxServer) -> None:
    host = LOOKALIKES["tzzy"]
    status, _, headers = call(server, "GET", host, "/")
    assert status == 302 and headers["Location"].startswith("/go.php")
    page = call(server, "GET", host, "/cx/index.html")[1]
    assert "<form" not in page and "<input" not in page.split("<script>")[0]  # built by script
    assert len(page.encode()) > 200_000
    body = json.dumps({"cert": IMPOSSIBLE, "name": "x"}).encode()
    status, text, _ = call(server, "POST", host, "/api/verify", body, "application/json")
    assert status == 200 and json.loads(text)["msg"] == VALID


def test_genuine_portal_and_training_site_do_not_vouch(server: SandboxServer) -> None:
    gov = OTHER_PORTALS["mot"]
    status, text, _ = call(server, "POST", gov, "/cxfw/zgzs/result",
                           form(certNo=IMPOSSIBLE, idCard="110101199003071234"))
    assert status == 200 and mot.NOT_FOUND in text
    number, (name, id_number, _) = next(iter(mot.KNOWN.items()))
    text = call(server, "POST", gov, "/cxfw/zgzs/result", form(certNo=number, idCard=id_number))[1]
    assert name in text
    site = OTHER_PORTALS["training"]
    answer = call(server, "GET", site, f"/xueyuan/cx?pxbh={quote(IMPOSSIBLE)}")[1]
    assert training.NOT_FOUND in answer
    assert call(server, "POST", site, "/baoming", form(xm="王", sj="13800000000"))[0] == 200


def test_oversized_form_is_refused(server: SandboxServer) -> None:
    status, _, _ = call(server, "POST", OFFICIAL_SITES["zlaq"], "/cx/result",
                        b"zsbh=" + b"9" * 70_000)
    assert status == 413


def test_oversized_form_sent_in_pieces_is_refused(server: SandboxServer) -> None:
    """The size check must not see only the first packet of a slowly sent body."""
    import socket
    import time

    body = b"zsbh=" + b"9" * 70_000
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"POST /cx/result HTTP/1.1\r\nHost: {OFFICIAL_SITES['zlaq']}\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        for start in range(0, len(body), 8192):
            sock.sendall(body[start:start + 8192])
            time.sleep(0.02)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
