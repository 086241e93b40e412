"""Malformed requests get the error AWS would give; the server never crashes or leaks a traceback."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from refreshable_sso.emulator import Emulator

from .helpers import client, raw

JSON = {"Content-Type": "application/json"}


def _json_error(
    status: int, headers: dict[str, str], body: bytes
) -> tuple[int, str, dict[str, str]]:
    assert b"Traceback" not in body
    return status, headers.get("x-amzn-errortype", ""), json.loads(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"clientName": 5, "clientType": "public"}', "clientName must be a string"),
        (b'{"clientType": "public"}', "Missing required parameter: clientName"),
        (b'{"clientName": "x", "clientType": "public", "scopes": "sso:account:access"}', "scopes"),
    ],
)
def test_bad_json_bodies_are_invalid_request(
    sso_emulator: Emulator, body: bytes, expected: str
) -> None:
    status, code, payload = _json_error(*raw(sso_emulator, "POST", "/client/register", body, JSON))
    assert (status, code) == (400, "InvalidRequestException")
    assert payload["error"] == "invalid_request"
    assert expected in payload["error_description"]


def test_wrong_types_in_create_token(sso_emulator: Emulator) -> None:
    body = json.dumps({"clientId": ["x"], "clientSecret": "y", "grantType": "refresh_token"})
    status, code, payload = _json_error(*raw(sso_emulator, "POST", "/token", body.encode(), JSON))
    assert (status, code) == (400, "InvalidRequestException")
    assert "clientId" in payload["error_description"]


def test_unknown_paths_and_wrong_methods(sso_emulator: Emulator) -> None:
    status, code, payload = _json_error(*raw(sso_emulator, "GET", "/no/such/thing"))
    assert (status, code) == (404, "UnknownOperationException")
    assert "/no/such/thing" in payload["message"]
    status, code, payload = _json_error(*raw(sso_emulator, "DELETE", "/token"))
    assert (status, code) == (405, "MethodNotAllowedException")
    assert "POST" in payload["message"]
    status, code, _ = _json_error(*raw(sso_emulator, "GET", "/federation/credentials"))
    assert (status, code) == (401, "UnauthorizedException")
    token = sso_emulator.sign_in()["accessToken"]
    status, code, payload = _json_error(
        *raw(
            sso_emulator,
            "GET",
            "/federation/credentials",
            headers={"x-amz-sso_bearer_token": token},
        )
    )
    assert (status, code) == (400, "InvalidRequestException")
    assert "role_name" in payload["message"]


def test_oversized_body_is_refused(sso_emulator_factory: object) -> None:
    emu: Emulator = sso_emulator_factory(max_body_bytes=4096)  # type: ignore[operator]
    status, code, payload = _json_error(*raw(emu, "POST", "/client/register", b"x" * 5000, JSON))
    assert (status, code) == (413, "RequestEntityTooLargeException")
    assert "4096" in payload["error_description"]


def _send_raw(emu: Emulator, data: bytes) -> bytes:
    parts = urlsplit(emu.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", b" 400 "),
        (b"GET /device HTTP/9.9\r\n\r\n", b" 505 "),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n", b" 400 "),
        (b"POST /token HTTP/1.1\r\nContent-Length: abc\r\nConnection: close\r\n\r\n", b" 400 "),
        (b"POST /token HTTP/1.1\r\nContent-Length: -5\r\nConnection: close\r\n\r\n", b" 400 "),
        (
            b"POST /token HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n",
            b" 411 ",
        ),
        (b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n", b" 431 "),
        (b"GET /device HTTP/1.1\r\nBad Header Without Colon\r\n\r\n", b" 400 "),
    ],
)
def test_garbage_on_the_wire(sso_emulator: Emulator, data: bytes, status: bytes) -> None:
    answer = _send_raw(sso_emulator, data)
    assert answer.startswith(b"HTTP/"), answer[:80]
    assert status in answer.split(b"\r\n", 1)[0]
    assert b"Traceback" not in answer
    # ... and the server is still fine afterwards.
    assert client(sso_emulator, "sso").list_accounts(
        accessToken=sso_emulator.sign_in()["accessToken"]
    )["accountList"]


def test_body_shorter_than_content_length_does_not_hang_the_server(
    sso_emulator: Emulator,
) -> None:
    parts = urlsplit(sso_emulator.url)
    stalled = socket.create_connection((parts.hostname, parts.port), timeout=10)
    try:
        stalled.sendall(b"POST /token HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        # Another client is served while that one stalls.
        sso = client(sso_emulator, "sso")
        assert sso.list_accounts(accessToken=sso_emulator.sign_in()["accessToken"])
        stalled.shutdown(socket.SHUT_WR)
        answer = stalled.recv(65536)
        assert b" 400 " in answer.split(b"\r\n", 1)[0]
    finally:
        stalled.close()


def test_non_ascii_and_odd_headers(sso_emulator: Emulator) -> None:
    status, code, _ = _json_error(
        *raw(
            sso_emulator,
            "GET",
            "/assignment/accounts",
            headers={"x-amz-sso_bearer_token": "t\u00e9st", "X-Weird": "\u00ff" * 10},
        )
    )
    assert (status, code) == (401, "UnauthorizedException")
    status, _, body = raw(sso_emulator, "GET", "/device?user_code=%00%FF<script>")
    assert status == 404
    assert b"<script>" not in body
