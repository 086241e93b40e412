"""Every error in botocore's sso and sso-oidc models reaches boto3 as its modelled exception.

The (operation, error) pairs come from botocore's own service models, so a new modelled error
shows up here by itself. The natural causes of each error are tested in test_oidc.py and
test_portal.py; this checks the wire format for all of them (status, x-amzn-ErrorType, body).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from refreshable_sso.emulator import Emulator

from .helpers import NO_RETRY, client

_ARGS: dict[str, dict[str, Any]] = {
    "GetRoleCredentials": {"accessToken": "t", "accountId": "111111111111", "roleName": "R"},
    "ListAccounts": {"accessToken": "t"},
    "ListAccountRoles": {"accessToken": "t", "accountId": "111111111111"},
    "Logout": {"accessToken": "t"},
    "RegisterClient": {"clientName": "n", "clientType": "public"},
    "StartDeviceAuthorization": {"clientId": "c", "clientSecret": "s", "startUrl": "https://x"},
    "CreateToken": {"clientId": "c", "clientSecret": "s", "grantType": "refresh_token"},
}


def _pairs() -> list[tuple[str, str, str, int]]:
    session = botocore.session.get_session()
    pairs = []
    for service in ("sso", "sso-oidc"):
        model = session.get_service_model(service)
        for name in _ARGS:
            if name not in model.operation_names:
                continue
            for shape in model.operation_model(name).error_shapes:
                status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
                pairs.append((service, name, shape.name, status))
    return pairs


PAIRS = _pairs()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def test_the_model_has_the_errors_we_expect() -> None:
    names = {(op, err) for _, op, err, _ in PAIRS}
    assert ("CreateToken", "AuthorizationPendingException") in names
    assert ("GetRoleCredentials", "TooManyRequestsException") in names
    assert len(PAIRS) >= 35


@pytest.mark.parametrize(("service", "operation", "error", "status"), PAIRS)
def test_modelled_error_reaches_boto3(
    emu: Emulator, service: str, operation: str, error: str, status: int
) -> None:
    boto = client(emu, service, config=NO_RETRY)
    emu.faults.fail_next(operation, status=status, code=error, message=f"{error} on cue")
    method = getattr(boto, botocore.xform_name(operation))
    with pytest.raises(getattr(boto.exceptions, error)) as info:
        method(**_ARGS[operation])
    response = info.value.response
    assert response["Error"]["Code"] == error
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    if service == "sso":
        assert response["Error"]["Message"] == f"{error} on cue"
    else:
        assert response["error_description"] == f"{error} on cue"
