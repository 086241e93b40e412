"""The :class:`Emulator` facade: configure, start, inspect and steer the local IAM Identity Center."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from refreshable_sso._clock import OffsetClock
from refreshable_sso.config import FEDERATION_ENDPOINT_ENV
from refreshable_sso.emulator.admin import SSO_ADMIN_TARGET, AdminAccess, SSOAdminService
from refreshable_sso.emulator.authority import REFRESH_SCOPE, Authority
from refreshable_sso.emulator.clock import Clock
from refreshable_sso.emulator.control import ControlEndpoints
from refreshable_sso.emulator.counters import Counters
from refreshable_sso.emulator.directory import Directory
from refreshable_sso.emulator.faults import Faults
from refreshable_sso.emulator.federation import FederationService
from refreshable_sso.emulator.identitystore import IDENTITYSTORE_TARGET, IdentityStoreService
from refreshable_sso.emulator.oidc import OIDCService
from refreshable_sso.emulator.organizations import ORGANIZATIONS_TARGET, OrganizationsService
from refreshable_sso.emulator.pages import Pages
from refreshable_sso.emulator.portal import PortalService
from refreshable_sso.emulator.routes import build_router
from refreshable_sso.emulator.server import EmulatorHTTPServer, ServerContext
from refreshable_sso.emulator.settings import EmulatorOptions, EmulatorSettings
from refreshable_sso.emulator.state import Store
from refreshable_sso.emulator.sts import STSService, permission_set_role_arn
from refreshable_sso.emulator.wire import ApiError, Request, Service
from refreshable_sso.errors import ConfigurationError
from refreshable_sso.storage import paths as _paths
from refreshable_sso.storage.files import JsonFileRecord

if TYPE_CHECKING:
    from typing_extensions import Unpack

logger = logging.getLogger(__name__)

_CACHE_TIME = "%Y-%m-%dT%H:%M:%SZ"


def _cache_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime(_CACHE_TIME)


def _load_directory(directory: Directory | Mapping[str, Any] | str | Path | None) -> Directory:
    if directory is None:
        return Directory.default()
    if isinstance(directory, Directory):
        return directory
    if isinstance(directory, Mapping):
        return Directory.from_dict(directory)
    return Directory.from_json_file(directory)


class Emulator:
    """A local IAM Identity Center (SSO portal, SSO-OIDC) plus STS GetCallerIdentity.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. Lifetimes are seconds on
    :attr:`clock`, which tests move with ``emu.clock.advance(seconds)``. Pass
    ``clock=`` a library :class:`~refreshable_sso._clock.OffsetClock` (the one installed with
    ``use_clock``) to share one clock with the library under test.
    """

    def __init__(
        self,
        *,
        directory: Directory | Mapping[str, Any] | str | Path | None = None,
        clock: Clock | OffsetClock | None = None,
        **settings: Unpack[EmulatorOptions],
    ) -> None:
        try:
            self.settings = EmulatorSettings(**settings)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
                for err in exc.errors()
            ]
            raise ConfigurationError(
                "Invalid Emulator option(s): " + "; ".join(problems), problems
            ) from None
        self.directory = _load_directory(directory)
        self.clock = Clock.sharing(clock) if isinstance(clock, OffsetClock) else clock or Clock()
        self.faults = Faults(self.settings.fault_seed)
        self.counters = Counters()
        self._store = Store()
        self._authority = Authority(self._store, self.settings, self.clock, self.directory)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._bound_port = self.settings.port  # a restart keeps the URL
        self._portal = PortalService(self._authority)
        self._sts = STSService(self._authority)
        admin = AdminAccess(self._authority)
        self._router = build_router(
            OIDCService(self._authority, lambda: self.url),
            self._portal,
            self._sts,
            Pages(self._authority),
            ControlEndpoints(self._authority, self.counters),
            lambda: self.url,
            federation=FederationService(self._authority),
            json_services=(
                (SSO_ADMIN_TARGET, Service.SSO_ADMIN, SSOAdminService(admin).operations()),
                (
                    ORGANIZATIONS_TARGET,
                    Service.ORGANIZATIONS,
                    OrganizationsService(admin).operations(),
                ),
                (
                    IDENTITYSTORE_TARGET,
                    Service.IDENTITYSTORE,
                    IdentityStoreService(admin).operations(),
                ),
            ),
        )

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Bind the port and serve in a background (daemon) thread."""
        if self._server is not None:
            return self
        context = ServerContext(
            self._router, self.counters, self.faults, self.settings.max_body_bytes, self.clock
        )
        try:
            server = EmulatorHTTPServer((self.settings.host, self._bound_port), context)
        except OSError as exc:
            raise ConfigurationError(
                f"Emulator cannot listen on {self.settings.host}:{self._bound_port}: {exc.strerror}. "
                "Pick another port (port=0 chooses a free one)."
            ) from exc
        self._server = server
        self._bound_port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_until_stopped,
            name="sso-emulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("IAM Identity Center emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and release the port (idempotent). A later
        :meth:`start` listens on the same port again, so :attr:`url` stays the same."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.stop_serving()
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()
        server.close_connections()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"<Emulator {where} start_url={self.start_url!r} region={self.region!r}>"

    # -- where it is -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL serving SSO, SSO-OIDC and STS (``http://127.0.0.1:PORT``)."""
        if self._server is None:
            raise RuntimeError(
                "Emulator is not running: call start() or use it as a context manager"
            )
        host, port = self._server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def start_url(self) -> str:
        return self.settings.start_url

    @property
    def region(self) -> str:
        return self.settings.region

    def env(self) -> dict[str, str]:
        """Environment variables that point botocore's sso, sso-oidc, sts and admin API clients here,
        and console sign-in (``REFRESHABLE_SSO_FEDERATION_ENDPOINT``) at ``/federation``."""
        return {
            "AWS_ENDPOINT_URL_SSO": self.url,
            "AWS_ENDPOINT_URL_SSO_OIDC": self.url,
            "AWS_ENDPOINT_URL_STS": self.url,
            FEDERATION_ENDPOINT_ENV: f"{self.url}/federation",
            # admin APIs (AWS JSON 1.1 on the same base URL, told apart by X-Amz-Target)
            "AWS_ENDPOINT_URL_SSO_ADMIN": self.url,
            "AWS_ENDPOINT_URL_ORGANIZATIONS": self.url,
            "AWS_ENDPOINT_URL_IDENTITYSTORE": self.url,
        }

    # -- directory shortcuts ---------------------------------------------------------------
    @property
    def user_name(self) -> str:
        return self.directory.default_user.user_name

    @property
    def default_account_id(self) -> str:
        return self.directory.accounts[0].account_id

    @property
    def default_role_name(self) -> str:
        roles = self.directory.accounts[0].roles
        return "ReadOnlyAccess" if "ReadOnlyAccess" in roles else roles[0]

    def sso_role_arn(self, account_id: str | None = None, role_name: str | None = None) -> str:
        """The IAM role ARN of a permission set in an account, as this emulator's STS knows it
        (``arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_NAME_HASH``,
        what AssumeRole trust entries match); defaults to the first account and its default role.

        :param account_id: the account (default: the directory's first).
        :param role_name: the permission set (default: ``default_role_name``).
        """
        return permission_set_role_arn(
            account_id or self.default_account_id, role_name or self.default_role_name
        )

    # -- counters --------------------------------------------------------------------------
    def calls(self, operation: str | None = None) -> int:
        """How many times ``operation`` was called (all operations when None)."""
        return self.counters.calls(operation)

    def errors(self, operation: str) -> dict[str, int]:
        """Errors answered for ``operation`` by code, e.g. ``{"InvalidGrantException": 1}``."""
        return self.counters.errors(operation)

    def stats(self) -> dict[str, Any]:
        """``{"calls": {...}, "errors": {...}}``, the same as ``GET /_emulator/stats``."""
        return self.counters.snapshot()

    def reset_counters(self) -> None:
        self.counters.reset()

    def mfa_code(self, serial: str | None = None, user_name: str | None = None) -> str:
        """The current TOTP code of a user's MFA device (the default user's first one), on the
        emulator's clock: what their authenticator app would show now."""
        from refreshable_sso.emulator.iam import totp_code

        user = self.directory.user(user_name) if user_name else self.directory.default_user
        devices = user.mfa_devices if user is not None else ()
        device = next((d for d in devices if serial in (None, d.serial)), None)
        if device is None:
            raise ConfigurationError(f"mfa_code: no MFA device {serial or ''} for that user")
        return totp_code(device.totp_secret, self.clock.now())

    def assumed_role_sessions(self, role_name: str | None = None) -> list[dict[str, Any]]:
        """AssumeRole results so far (oldest first): account_id, role_name, session_name,
        access_key_id, issued_at, expires_at (emulator clock); secrets left out."""
        return [
            {
                "account_id": c.account_id,
                "role_name": c.role_name,
                "session_name": c.session_name,
                "access_key_id": c.access_key_id,
                "issued_at": c.issued_at,
                "expires_at": c.expires_at,
            }
            for c in self._sts.assumed.issued()
            if role_name is None or c.role_name == role_name
        ]

    # -- acting as the signed-in person ------------------------------------------------------
    def sign_in(self, user_name: str | None = None, new_session: bool = True) -> dict[str, str]:
        """A refreshable token in AWS CLI cache format, as if ``aws sso login`` had just run.

        :param user_name: who signs in (the directory's default user when None).
        :param new_session: True (the default): the person authenticates at the portal, which
            starts a new portal session with a full ``session_ttl`` (and makes it the user's
            live one). False: bind to the user's live portal session, as an approval in the
            same browser does, starting one only when none lives.
        """
        if user_name is not None and self.directory.user(user_name) is None:
            raise ConfigurationError(
                f"sign_in(user_name={user_name!r}): no such user in the directory"
            )
        client = self._authority.register_client(
            "refreshable-sso-emulator", scopes=(REFRESH_SCOPE,)
        )
        session = self._authority.portal_session(user_name, sign_in=new_session)
        issued = self._authority.issue_tokens(client, session, client.scopes)
        assert issued.refresh_token is not None
        return {
            "startUrl": self.start_url,
            "region": self.region,
            "accessToken": issued.access_token,
            "expiresAt": _cache_time(issued.expires_at),
            "refreshToken": issued.refresh_token,
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "registrationExpiresAt": _cache_time(client.expires_at),
        }

    def seed_token_cache(
        self, cache_dir: str | Path | None = None, sso_session_name: str | None = None
    ) -> Path:
        """:meth:`sign_in`, then write the token where botocore and the AWS CLI look for it
        (``~/.aws/sso/cache/<sha1>.json``; 0600 file in a 0700 directory). Returns the path."""
        token = self.sign_in()
        directory = Path(cache_dir) if cache_dir is not None else None
        path = _paths.token_cache_path(self.start_url, sso_session_name, directory)
        cache_file = JsonFileRecord(path)
        with cache_file.lock():
            cache_file.write(token)
        return path

    def approve(self, user_code: str, user_name: str | None = None, sign_in: bool = False) -> None:
        """Approve a pending device authorization (as if the person clicked Approve).

        As in IAM Identity Center, the approval binds to the user's live portal session, so the
        tokens it leads to end when that session ends; only when none lives (past its end, or
        after ``sso:Logout``) does the person sign in first, which starts a new session.

        :param user_code: the code the device flow showed.
        :param user_name: who approves (the directory's default user when None).
        :param sign_in: the person authenticates anyway (another browser, cleared cookies):
            a new portal session with a full ``session_ttl``.
        """
        if not self._authority.decide_device(
            user_code, approve=True, user_name=user_name, sign_in=sign_in
        ):
            raise ConfigurationError(
                f"No pending device authorization with user code {user_code!r}"
            )

    def deny(self, user_code: str) -> None:
        """Deny a pending device authorization (CreateToken then answers AccessDeniedException)."""
        if not self._authority.decide_device(user_code, approve=False):
            raise ConfigurationError(
                f"No pending device authorization with user code {user_code!r}"
            )

    def pending_user_codes(self) -> list[str]:
        """User codes of device authorizations nobody has answered yet."""
        return self._authority.pending_user_codes()

    def pending_authorizations(self) -> list[str]:
        """Ids of PKCE ``/authorize`` requests nobody has answered yet."""
        return self._authority.pending_authorizations()

    def approve_authorization(self, request_id: str | None = None, sign_in: bool = False) -> str:
        """Approve a pending PKCE request (the only/oldest one by default); returns the
        redirect location the browser would be sent to (``redirect_uri?code=..&state=..``).

        The approval binds to the user's live portal session as :meth:`approve` does;
        ``sign_in`` makes the person authenticate anew (a new session)."""
        return self._decide_authorization(request_id, approve=True, sign_in=sign_in)

    def deny_authorization(self, request_id: str | None = None) -> str:
        """Deny a pending PKCE request; returns ``redirect_uri?error=access_denied&state=..``."""
        return self._decide_authorization(request_id, approve=False)

    def _decide_authorization(
        self, request_id: str | None, approve: bool, sign_in: bool = False
    ) -> str:
        pending = self._authority.pending_authorizations()
        rid = request_id or (pending[0] if pending else "")
        location = self._authority.decide_authorization(rid, approve, sign_in=sign_in)
        if location is None:
            raise ConfigurationError(
                f"No pending authorization request {request_id or ''!r}".strip()
            )
        return location

    def portal_session_end(self, user_name: str | None = None) -> datetime | None:
        """When the user's live portal session ends (None when none lives): the end every
        token approved in it shares, which a re-approval does not move."""
        session = self._authority.live_portal_session(user_name)
        return None if session is None else datetime.fromtimestamp(session.expires_at, timezone.utc)

    def session_end_of(self, access_token: str) -> datetime | None:
        """When the sign-in session behind ``access_token`` ends (None: unknown, expired,
        revoked, or its session ended)."""
        session = self._authority.session_for_access_token(access_token)
        if session is None or not session.active(self.clock.now()):
            return None
        return datetime.fromtimestamp(session.expires_at, timezone.utc)

    def end_sign_in_sessions(self, revoke_access_tokens: bool = False) -> int:
        """End every sign-in session now: refreshing answers InvalidGrantException. Access
        tokens already issued keep working until they expire unless ``revoke_access_tokens``."""
        return self._authority.end_sessions(revoke_access_tokens)

    def role_credentials(
        self, account_id: str | None = None, role_name: str | None = None
    ) -> dict[str, str]:
        """Issue role credentials directly (AccessKeyId, SecretAccessKey, SessionToken,
        Expiration ISO) without going over HTTP, e.g. to exercise STS in a test."""
        token = self.sign_in()["accessToken"]
        request = Request(
            "GET",
            "/federation/credentials",
            {
                "account_id": account_id or self.default_account_id,
                "role_name": role_name or self.default_role_name,
            },
            {"x-amz-sso_bearer_token": token},
            b"",
        )
        try:
            body = json.loads(self._portal.get_role_credentials(request).body)["roleCredentials"]
        except ApiError as exc:
            raise ConfigurationError(f"Cannot issue role credentials: {exc.message}") from exc
        return {
            "AccessKeyId": body["accessKeyId"],
            "SecretAccessKey": body["secretAccessKey"],
            "SessionToken": body["sessionToken"],
            "Expiration": _cache_time(body["expiration"] / 1000),
        }
