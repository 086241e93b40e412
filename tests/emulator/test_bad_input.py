"""Malformed requests get the error AWS would give; the server never crashes or leaks a traceback."""

from __future__ import annotations

import http.client
import json
import os
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
        (b'{"a": ' * 5000, "nested too deeply"),
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


def test_random_requests_never_crash_the_server(sso_emulator: Emulator) -> None:
    import random

    rng = random.Random(int(os.environ.get("EMULATOR_FUZZ_SEED", "1234")))
    paths = [
        "/client/register",
        "/device_authorization",
        "/token",
        "/token?aws_iam=t",
        "/authorize?client_id=x",
        "/device?user_code=",
        "/federation/credentials?role_name=&account_id=abc",
        "/assignment/accounts?max_result=-1&next_token=%FF",
        "/assignment/roles?account_id=111111111111&next_token=====",
        "/logout",
        "/",
        "/?Action=GetCallerIdentity",
        "/_emulator/clock/advance?seconds=nan",
        "/_emulator/stats",
    ]
    bodies = [
        b"",
        b"{}",
        b"null",
        b'{"clientId": null, "clientSecret": {}, "grantType": 7}',
        b'{"clientName": "x", "clientType": "public", "scopes": [1, 2]}',
        b"Action=GetCallerIdentity&Version=2011-06-15",
        bytes(rng.randrange(256) for _ in range(300)),
        b'{"a": ' * 5000,
    ]
    headers_choices = [
        {},
        {"Content-Type": "application/json"},
        {"x-amz-sso_bearer_token": "x" * 5000},
        {
            "Authorization": "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=" + "0" * 64,
            "X-Amz-Date": "20240101T000000Z",
        },
    ]
    for _ in range(int(os.environ.get("EMULATOR_FUZZ_ROUNDS", "120"))):
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH"])
        status, _, body = raw(
            sso_emulator,
            method,
            rng.choice(paths),
            rng.choice(bodies),
            rng.choice(headers_choices),
        )
        assert 200 <= status < 500, (status, body[:200])
        assert b"Traceback" not in body
    token = sso_emulator.sign_in()["accessToken"]
    assert client(sso_emulator, "sso").list_accounts(accessToken=token)["accountList"]
    assert "InternalServerException" not in str(sso_emulator.stats()["errors"])


def test_keep_alive_survives_errors_with_unread_bodies(sso_emulator: Emulator) -> None:
    parts = urlsplit(sso_emulator.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        for method, path in (("POST", "/nowhere"), ("PUT", "/token"), ("POST", "/token")):
            conn.request(method, path, body=b'{"some": "body"}', headers=JSON)
            response = conn.getresponse()
            response.read()
            assert response.status in (400, 401, 404, 405)
        conn.request("GET", "/_emulator/health")
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["ok"] is True
    finally:
        conn.close()
