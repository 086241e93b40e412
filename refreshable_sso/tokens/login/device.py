"""Sign in with the OAuth device authorization grant (RFC 8628), as ``aws sso login`` did.

The person approves a short code in any browser, on any machine: the flow that works over
SSH and in containers. We register a client with ``sso:account:access`` (so the token comes
with a refresh token), start a device authorization, tell the person, then poll
``CreateToken`` every ``interval`` seconds: ``AuthorizationPending`` keeps polling,
``SlowDown`` adds ``slow_down_step`` (5 s, per the RFC) to the interval, ``ExpiredToken`` and
``AccessDenied`` end the login with ``LoginExpiredError`` / ``LoginDeniedError``, our own
``timeout`` with ``LoginTimeoutError``, a cancel event or Ctrl-C with ``LoginCancelledError``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from refreshable_sso import _clock
from refreshable_sso.aws import clients as _aws
from refreshable_sso.errors import LoginDeniedError, LoginError, LoginExpiredError
from refreshable_sso.tokens.base import SSOToken
from refreshable_sso.tokens.login.interactive import (
    SLOW_DOWN_STEP,
    CancellableWait,
    InteractiveTokenProvider,
    UserPrompt,
)
from refreshable_sso.tokens.registration import (
    DEVICE_CODE_GRANT,
    ClientRegistrar,
    ClientRegistration,
)

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

# the name it had before the move, which logging configurations name
logger = logging.getLogger("refreshable_sso.tokens.device")

#: Polling interval when the server does not say (RFC 8628 section 3.2).
DEFAULT_INTERVAL = 5.0
#: The shortest wait between polls. A server that answers ``interval: 0`` (IAM Identity
#: Center says 1; the emulator's sub-second test setting reaches us as 0, since botocore
#: parses the field as an integer) is polled this often, not in a busy loop as botocore would.
MIN_INTERVAL = 0.05


def run_device_flow(
    registrar: ClientRegistrar,
    prompt: UserPrompt,
    waiter: CancellableWait,
    *,
    start_url: str,
    slow_down_step: float = SLOW_DOWN_STEP,
) -> tuple[dict[str, Any], ClientRegistration]:
    """Run one device authorization to the end; the ``CreateToken`` answer and its registration."""
    client = registrar.client
    registration = registrar.get("device")
    try:
        authorization = _start(client, registration, start_url)
    except ClientError as exc:
        if _aws.error_code(exc) not in ("InvalidClientException", "UnauthorizedClientException"):
            raise _login_error("start the device authorization", exc) from exc
        # The cached client was revoked or expired server-side: register a new one, once.
        logger.info("client registration rejected (%s); registering again", _aws.error_code(exc))
        registration = registrar.get("device", renew=True)
        try:
            authorization = _start(client, registration, start_url)
        except ClientError as again:
            raise _login_error("start the device authorization", again) from again
    except BotoCoreError as exc:
        raise _unreachable("start the device authorization", exc) from exc

    expires_in = int(authorization.get("expiresIn") or 600)
    prompt.show_device_code(
        authorization["verificationUri"],
        authorization["userCode"],
        authorization.get("verificationUriComplete") or authorization["verificationUri"],
        _clock.now() + timedelta(seconds=expires_in),
    )
    said = authorization.get("interval")
    interval = DEFAULT_INTERVAL if said is None else max(float(said), MIN_INTERVAL)
    device_code = authorization["deviceCode"]
    polls = 0
    while True:
        waiter.wait(interval)
        polls += 1
        try:
            response = client.create_token(
                clientId=registration.client_id,
                clientSecret=registration.client_secret.get_secret_value(),
                grantType=DEVICE_CODE_GRANT,
                deviceCode=device_code,
            )
        except ClientError as exc:
            code = _aws.error_code(exc)
            if code == "AuthorizationPendingException":
                continue
            if code == "SlowDownException":
                interval += slow_down_step
                logger.info("server asked to slow down; polling every %g s", interval)
                continue
            if code == "ExpiredTokenException":
                raise LoginExpiredError(
                    "the device code expired before anyone approved it; run the login again "
                    "and approve the code within its lifetime"
                ) from exc
            if code == "AccessDeniedException":
                raise LoginDeniedError(
                    "the sign-in request was denied in the browser; run the login again and "
                    "choose Allow if it was meant"
                ) from exc
            raise _login_error("get a token for the approved device code", exc) from exc
        except BotoCoreError as exc:
            raise _unreachable("poll for the device-code token", exc) from exc
        logger.debug("device code approved after %d poll(s)", polls)
        return dict(response), registration


def _start(
    client: SSOOIDCClient, registration: ClientRegistration, start_url: str
) -> dict[str, Any]:
    response = client.start_device_authorization(
        clientId=registration.client_id,
        clientSecret=registration.client_secret.get_secret_value(),
        startUrl=start_url,
    )
    return dict(response)


def _login_error(doing: str, exc: ClientError) -> LoginError:
    return LoginError(
        f"could not {doing}: IAM Identity Center answered {_aws.error_code(exc)} "
        f"(HTTP {_aws.status_code(exc)}){_said(exc)}"
    )


def _said(exc: ClientError) -> str:
    """``: <the server's reason>``, or nothing when it gave none."""
    reason = _aws.error_message(exc, limit=200)
    return f": {reason}" if reason else ""


def _unreachable(doing: str, exc: BotoCoreError) -> LoginError:
    return LoginError(
        f"could not {doing}: IAM Identity Center OIDC did not answer ({type(exc).__name__})"
    )


class DeviceCodeProvider(InteractiveTokenProvider):
    """Signs the person in with a device code and stores the token in the shared cache.

    Arguments are those of :class:`InteractiveTokenProvider`: start URL, region, sso-session,
    and ``options=`` (a :class:`LoginOptions`) or its fields as separate keywords.
    """

    flow_description = "device-code sign-in"

    def _login(self, waiter: CancellableWait) -> SSOToken:
        response, registration = run_device_flow(
            self.registrar,
            self.prompt,
            waiter,
            start_url=self.start_url,
            slow_down_step=self.slow_down_step,
        )
        return self.token_from_response(response, registration)


__all__ = ["SLOW_DOWN_STEP", "DeviceCodeProvider", "run_device_flow"]
