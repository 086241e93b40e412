"""Our loaders parse botocore's data with the cyclic collector paused, and restore it exactly."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.credentials import Credentials
from botocore.loaders import JSONFileLoader, create_loader

from refreshable_sso.aws import clients as _aws
from refreshable_sso.aws import loader as shared_loader
from refreshable_sso.aws.paused_gc import JSONFileLoaderWithoutGC, paused_gc
from refreshable_sso.emulator import Emulator
from tests.session.conftest import session_for


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every automatic collection that runs while the test does."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def test_parsing_endpoints_runs_no_collection_on_our_loader(collections: list[int]) -> None:
    plain = create_loader()
    plain.load_data("endpoints")
    runs_on_plain = len(collections)
    ours = _aws.new_loader()
    assert isinstance(ours.file_loader, JSONFileLoaderWithoutGC)
    parse = ours.file_loader._load_file
    while_parsing: list[tuple[bool, int]] = []

    def watched(*args: Any) -> Any:
        before = len(collections)
        data = parse(*args)
        while_parsing.append((gc.isenabled(), len(collections) - before))
        return data

    ours.file_loader._load_file = watched  # type: ignore[method-assign]
    data = ours.load_data("endpoints")
    assert while_parsing
    assert all(entry == (False, 0) for entry in while_parsing)
    assert gc.isenabled()
    assert data == plain.load_data("endpoints")  # the same data, parsed the same way
    if sys.version_info < (3, 12):  # later versions collect only between bytecodes, not in C
        assert runs_on_plain > 1, "endpoints.json no longer runs the collector: drop the pause?"


def test_a_collector_the_program_turned_off_stays_off() -> None:
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()


def test_the_pause_nests_across_threads() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with paused_gc():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with paused_gc():
            second_in.set()
            first_out.wait(5)
            seen["after the first left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first left": False}  # the second holder still pauses it
    assert gc.isenabled()  # the last one out turns it back on


def test_an_error_while_parsing_still_restores_the_collector(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError):
        JSONFileLoaderWithoutGC().load_file(str(tmp_path / "broken"))
    assert gc.isenabled()


def test_sessions_use_it_and_a_callers_loader_is_left_alone(signed_in: Emulator) -> None:
    session = session_for(signed_in)
    assert isinstance(shared_loader.data_loader(session).file_loader, JSONFileLoaderWithoutGC)
    own = botocore.session.Session()
    theirs = session_for(signed_in, botocore_session=own)
    assert type(shared_loader.data_loader(theirs).file_loader) is JSONFileLoader
    assert theirs.client("sts", endpoint_url=signed_in.url).get_caller_identity()["Account"]


def test_our_sso_oidc_and_sts_clients_are_made_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a client copies botocore's event-handler tree and builds its models: thousands of
    fresh containers, none garbage. In a new process that set off one more middle-generation
    collection during the first refresh (11 instead of 10; ~8 ms of GC and ~25 ms in all, row 2
    of benchmarks/performance.py). The real client is made, with the collector off meanwhile
    and on again afterwards."""
    seen: list[bool] = []
    make = botocore.session.Session.create_client

    def watched(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return make(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", watched)
    credentials = Credentials("AKIDEXAMPLE", "secret")
    clients = [
        _aws.sso_client("us-east-1"),
        _aws.oidc_client("us-east-1"),
        _aws.sts_client("us-east-1", credentials),
    ]
    assert [client.meta.service_model.service_name for client in clients] == [
        "sso",
        "sso-oidc",
        "sts",
    ]
    assert seen == [False, False, False]
    assert gc.isenabled()
