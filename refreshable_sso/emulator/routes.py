"""Which method and path reach which operation (all services share one base URL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from refreshable_sso.emulator.control import ControlEndpoints
from refreshable_sso.emulator.federation import CONSOLE_PATH, FederationService
from refreshable_sso.emulator.oidc import OIDCService
from refreshable_sso.emulator.pages import Pages
from refreshable_sso.emulator.portal import PortalService
from refreshable_sso.emulator.server import Handler, Route, Router
from refreshable_sso.emulator.sts import STSService
from refreshable_sso.emulator.wire import Request, Response, Service


def build_router(
    oidc: OIDCService,
    portal: PortalService,
    sts: STSService,
    pages: Pages,
    control: ControlEndpoints,
    base_url: Callable[[], str],
    federation: FederationService | None = None,
    json_services: Sequence[tuple[str, Service, Mapping[str, Handler]]] = (),
) -> Router:
    """The route table. Pages and control endpoints are counted but never faulted."""

    def index(request: Request) -> Response:
        if "Action" in request.query:  # a query-protocol call sent as GET
            return sts.handle(request)
        return pages.index(base_url())

    oidc_routes: list[tuple[str, str, str, Handler]] = [
        ("POST", "/client/register", "RegisterClient", oidc.register_client),
        (
            "POST",
            "/device_authorization",
            "StartDeviceAuthorization",
            oidc.start_device_authorization,
        ),
        ("POST", "/token", "CreateToken", oidc.create_token),
    ]
    portal_routes: list[tuple[str, str, str, Handler]] = [
        ("GET", "/federation/credentials", "GetRoleCredentials", portal.get_role_credentials),
        ("GET", "/assignment/accounts", "ListAccounts", portal.list_accounts),
        ("GET", "/assignment/roles", "ListAccountRoles", portal.list_account_roles),
        ("POST", "/logout", "Logout", portal.logout),
    ]
    unfaulted: list[tuple[str, str, str, Handler]] = [
        ("GET", "/authorize", "Authorize", pages.authorize),
        ("POST", "/authorize", "AuthorizeDecision", pages.authorize_decision),
        ("GET", "/device", "DevicePage", pages.device),
        ("POST", "/device", "DeviceDecision", pages.device_decision),
        ("GET", "/", "Index", index),
        ("GET", "/_emulator/stats", "Stats", control.stats),
        ("GET", "/_emulator/health", "Health", control.health),
        ("POST", "/_emulator/clock/advance", "AdvanceClock", control.advance_clock),
        ("POST", "/_emulator/sessions/end", "EndSessions", control.end_sessions),
    ]
    router = Router()
    for method, path, name, handler in oidc_routes:
        router.add(method, path, Route(name, Service.OIDC, handler))
    for method, path, name, handler in portal_routes:
        router.add(method, path, Route(name, Service.PORTAL, handler))
    router.add(
        "POST", "/", Route("GetCallerIdentity", Service.STS, sts.handle, operation_of=sts.action)
    )
    # AWS JSON 1.1 admin APIs (sso-admin, organizations, identitystore): POST / + X-Amz-Target.
    for target_prefix, json_service, operations in json_services:
        for name, handler in operations.items():
            router.add_target(target_prefix, Route(name, json_service, handler))
    for method, path, name, handler in unfaulted:
        service = Service.STS if path == "/" else Service.CONTROL
        router.add(method, path, Route(name, service, handler, faultable=False))
    if federation is not None:
        for method in ("GET", "POST"):
            router.add(
                method, "/federation", Route("Federation", Service.CONTROL, federation.handle)
            )
        router.add(
            "GET",
            CONSOLE_PATH,
            Route("FederationConsole", Service.CONTROL, federation.console, faultable=False),
        )
    return router
