"""Small helpers the emulator tests share: boto3 clients, login flows, PKCE values, raw HTTP."""

from __future__ import annotations

import base64
import hashlib
import http.client
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
from botocore.config import Config

from refreshable_sso.emulator import Emulator

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


_SESSIONS: list[boto3.Session] = []
_SESSION_LOCK = threading.Lock()  # a boto3 Session is not thread-safe; its clients are


def _session() -> boto3.Session:
    """One shared boto3 session (its loaded service models make new clients cheap)."""
    if not _SESSIONS:
        _SESSIONS.append(boto3.Session(region_name="us-east-1"))
    return _SESSIONS[0]


def client(emu: Emulator, service: str, config: Config | None = None, **kwargs: Any) -> Any:
    """An unmodified boto3 client of ``service`` pointed at the emulator."""
    with _SESSION_LOCK:
        return _session().client(
            service, region_name=emu.region, endpoint_url=emu.url, config=config, **kwargs
        )


def sts_for(emu: Emulator, creds: dict[str, Any], config: Config | None = None) -> Any:
    """An STS client signing with role credentials as GetRoleCredentials returned them."""
    with _SESSION_LOCK:
        return _session().client(
            "sts",
            region_name=emu.region,
            endpoint_url=emu.url,
            config=config,
            aws_access_key_id=creds["accessKeyId"],
            aws_secret_access_key=creds["secretAccessKey"],
            aws_session_token=creds["sessionToken"],
        )


def register(oidc: Any, **kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"clientName": "test", "clientType": "public"}
    args.update(kwargs)
    result: dict[str, Any] = oidc.register_client(**args)
    return result


def device_login(emu: Emulator, oidc: Any, scopes: list[str] | None = None) -> dict[str, Any]:
    """A complete device flow against an auto-approving emulator; returns CreateToken's answer."""
    reg = register(oidc, scopes=scopes if scopes is not None else ["sso:account:access"])
    dev = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=emu.start_url
    )
    token: dict[str, Any] = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT,
        deviceCode=dev["deviceCode"],
    )
    token["clientId"] = reg["clientId"]
    token["clientSecret"] = reg["clientSecret"]
    return token


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as the AWS CLI makes them."""
    verifier = secrets.token_urlsafe(48)[:64]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def raw(
    emu: Emulator,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request without any client library smoothing; returns status, headers, body."""
    parts = urlsplit(emu.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def authorize_url(
    client_id: str, redirect_uri: str, challenge: str, state: str = "st-1", **extra: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge_method": "S256",
        "scopes": "sso:account:access",
        "code_challenge": challenge,
    }
    params.update(extra)
    return "/authorize?" + urlencode(params)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
