"""The async session with real peers: aioboto3, and s3fs against moto's S3 (tox env 'peers').

s3fs runs its own event loop in a thread while the test has another: the same session serves
both. Identity comes from the emulator's STS; S3 from a moto server started by the test (moto
accepts any well-formed credentials, so the emulator-issued role credentials sign the calls).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from refreshable_sso.emulator import Emulator
from tests.aio.conftest import aio_session_for

pytestmark = pytest.mark.peer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_aioboto3_accepts_the_session(signed_in: Emulator) -> None:
    import aioboto3

    session = aio_session_for(signed_in)

    async def main() -> str:
        wrapped = aioboto3.Session(botocore_session=session)
        async with wrapped.client("sts", endpoint_url=signed_in.url) as sts:
            identity = await sts.get_caller_identity()
        return str(identity["Arn"])

    arn = asyncio.run(main())
    assert f":{signed_in.default_account_id}:assumed-role/" in arn
    assert signed_in.calls("GetRoleCredentials") == 1


def test_aioboto3_resource_on_moto_s3(signed_in: Emulator, moto_s3: str) -> None:
    import aioboto3

    session = aio_session_for(signed_in)

    async def main() -> list[str]:
        wrapped = aioboto3.Session(botocore_session=session)
        async with wrapped.resource("s3", endpoint_url=moto_s3) as s3:
            bucket = await s3.create_bucket(Bucket="aioboto3-bucket")
            await bucket.put_object(Key="hello.txt", Body=b"hi")
            return [obj.key async for obj in bucket.objects.all()]

    assert asyncio.run(main()) == ["hello.txt"]


def test_s3fs_accepts_the_session(signed_in: Emulator, moto_s3: str) -> None:
    import s3fs

    session = aio_session_for(signed_in)
    fs: Any = s3fs.S3FileSystem(
        session=session, client_kwargs={"endpoint_url": moto_s3}, skip_instance_cache=True
    )
    fs.mkdir("s3fs-bucket")
    with fs.open("s3fs-bucket/data.csv", "wb") as handle:
        handle.write(b"a,b\n1,2\n")
    assert fs.cat("s3fs-bucket/data.csv") == b"a,b\n1,2\n"
    assert fs.ls("s3fs-bucket") == ["s3fs-bucket/data.csv"]

    async def who() -> str:  # another loop than s3fs's own, on the same session
        return str((await session.whoami())["Account"])

    assert asyncio.run(who()) == signed_in.default_account_id
    assert signed_in.calls("GetRoleCredentials") == 1
