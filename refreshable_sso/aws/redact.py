"""Keep secrets out of botocore's DEBUG logs.

At DEBUG level botocore logs whole requests and responses: the ``x-amz-sso_bearer_token``
header of every SSO portal call, ``clientSecret`` and ``refreshToken`` in CreateToken
bodies, the access token CreateToken returns, the role credentials GetRoleCredentials
returns, and the session token inside SigV4 canonical requests. A user who turns on DEBUG
logging to find a problem must not leak them, so :func:`install` puts a filter on the few
botocore loggers that print wire data; it masks those values and leaves the rest readable.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

# botocore loggers that print request/response content (a logger's filters only see records
# logged on that very logger, so each is named).
_WIRE_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.auth", "botocore.hooks")

_SECRET_JSON_KEYS = (
    "accessToken",
    "refreshToken",
    "clientSecret",
    "secretAccessKey",
    "sessionToken",
    "deviceCode",
    "codeVerifier",
    "code",
    "idToken",
    "SecretAccessKey",
    "SessionToken",
)
_SECRET_HEADERS = ("x-amz-sso_bearer_token", "x-amz-security-token", "authorization")

# "key": "value" in JSON text (also inside a bytes repr, where quotes are not escaped), and
# 'key': 'value' in a Python dict repr.
_KEYS = "|".join(_SECRET_JSON_KEYS)
_HEADERS = "|".join(re.escape(name) for name in _SECRET_HEADERS)
_JSON_VALUE = re.compile(
    r"""(?P<key>["'](?:"""
    + _KEYS
    + r""")["']\s*:\s*)(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
)
# header: value in a canonical request, a header dict repr, or a prepared-request repr.
_HEADER_VALUE = re.compile(
    r"""(?P<key>["']?(?:"""
    + _HEADERS
    + r""")["']?\s*[:=]\s*)(?P<q>b?["']?)(?P<value>[^'",\s}\n]+)""",
    re.IGNORECASE,
)


# <SecretAccessKey>value</SecretAccessKey> in STS query-protocol (XML) responses (AssumeRole).
_XML_VALUE = re.compile(r"(?P<open><(?P<tag>SecretAccessKey|SessionToken)>)[^<]*(?=</(?P=tag)>)")


def redact(text: str) -> str:
    """``text`` with the values of secret keys and headers replaced by ``***``."""
    text = _JSON_VALUE.sub(lambda m: f"{m['key']}{m['q']}{MASK}{m['q']}", text)
    text = _XML_VALUE.sub(lambda m: f"{m['open']}{MASK}", text)
    return _HEADER_VALUE.sub(lambda m: f"{m['key']}{m['q']}{MASK}", text)


class SecretRedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix; leave it as is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Attach the filter to botocore's wire loggers (idempotent, cheap to call again)."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        shared = SecretRedactingFilter()
        for name in _WIRE_LOGGERS:
            logging.getLogger(name).addFilter(shared)
        _installed = True


__all__ = ["MASK", "SecretRedactingFilter", "install", "redact"]
