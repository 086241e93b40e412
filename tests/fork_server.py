"""Real worker processes without paying an interpreter start and boto3's import for each one.

Why: the multi-process tests (eight processes share one refresh, sixteen ``credential-process``
runs make one call) start N Pythons that each spend 0.4-1.5 s (more on a busy 2-core machine)
importing boto3 and the library before the line the test is about. :class:`ForkServer` starts
one Python with the test's environment, imports the named modules once, and then ``fork()``s a
child per request. Each child is a real process: its own pid, memory, file descriptors, file
locks and exit status; it runs ``-c CODE`` or ``-m MODULE`` as ``python`` would, with its own
argv, environment, working directory and stdio pipes. Only the imports are shared, done before
the fork, in an interpreter started with the same environment, so anything a module reads from
the environment when imported (botocore's token cache folder under ``$HOME``) is what a fresh
process would read.

Use it where the subject is several processes acting together; where the subject is the start
of a real interpreter (exit status of ``python``, start-up imports, ``sys.executable``) keep
:mod:`subprocess`.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.signals import default_sigint

# The server: imports the preload list, then forks a child for each request on the control
# socket (SOCK_SEQPACKET: one JSON request with its three stdio descriptors per message) and
# reports each child's exit status when it is reaped.
_SERVER = r"""
import atexit, importlib, json, os, runpy, selectors, signal, socket, sys, traceback, types

control = socket.socket(fileno=int(sys.argv[1]))
for name in sys.argv[2:]:
    importlib.import_module(name)
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
signal.signal(signal.SIGCHLD, lambda *_: None)
signal.set_wakeup_fd(wake_w)
selector = selectors.DefaultSelector()
selector.register(control, selectors.EVENT_READ)
selector.register(wake_r, selectors.EVENT_READ)


def print_from_caller(exc):
    # the traceback python prints: from the code it ran, without this server's frame
    traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)


def run_child(request, fds):
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    selector.close()
    control.close()
    os.close(wake_r)
    os.close(wake_w)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    code = 0
    try:
        if request["kind"] == "-c":
            sys.argv = ["-c", *request["args"]]
            main = types.ModuleType("__main__")
            sys.modules["__main__"] = main
            exec(compile(request["target"], "<string>", "exec"), main.__dict__)
        elif request["kind"] == "-m":
            sys.argv = [request["target"], *request["args"]]
            runpy.run_module(request["target"], run_name="__main__", alter_sys=True)
        else:  # a script: its folder first on sys.path, as python puts it
            sys.argv = [request["target"], *request["args"]]
            sys.path.insert(0, os.path.dirname(os.path.abspath(request["target"])))
            runpy.run_path(request["target"], run_name="__main__")
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt as exc:
        print_from_caller(exc)
        code = -signal.SIGINT
    except BaseException as exc:
        print_from_caller(exc)
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        if code < 0:  # as python does after an unhandled KeyboardInterrupt
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        os._exit(code & 0xFF)


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        report({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def report(event):
    try:
        control.send(json.dumps(event).encode())
    except OSError:  # the test closed its end: nobody is listening any more
        os._exit(0)


while True:
    for key, _ in selector.select():
        if key.fileobj is control:
            message, fds, _, _ = socket.recv_fds(control, 1 << 22, 3)
            if not message:  # the test closed its end; nothing is buffered to flush
                os._exit(0)
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                run_child(request, fds)
            for fd in fds:
                os.close(fd)
            report({"started": pid})
        else:
            while True:
                try:
                    if not os.read(wake_r, 512):
                        break
                except BlockingIOError:
                    break
            reap()
"""


class ForkedProcess:
    """A child of the :class:`ForkServer`, with the part of :class:`subprocess.Popen` tests use.

    Attributes:
        args: the command line it stands for (``[python, "-c", CODE, *args]``).
        pid: its process id (signals go to it directly).
        returncode: ``None`` while it runs; then its exit status (negative: killed by that signal).
        stdin, stdout, stderr: the pipes asked for with ``subprocess.PIPE``, else ``None``.
    """

    def __init__(
        self,
        server: ForkServer,
        args: list[str],
        pid: int,
        pipes: tuple[IO[Any] | None, IO[Any] | None, IO[Any] | None],
    ) -> None:
        self._server = server
        self.args = args
        self.pid = pid
        self.stdin, self.stdout, self.stderr = pipes
        self.returncode: int | None = None

    def poll(self) -> int | None:
        self.returncode = self._server._exit_code(self.pid, 0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self._server._exit_code(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        self.returncode = code
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(
        self, input: str | bytes | None = None, timeout: float | None = None
    ) -> tuple[Any, Any]:
        """Write ``input``, read stdout and stderr to their ends, wait for the exit (like Popen)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.stdin is not None:
            if input:
                self.stdin.write(input)
            self.stdin.close()
        readers = [s for s in (self.stdout, self.stderr) if s is not None]
        chunks: dict[int, list[bytes]] = {id(s): [] for s in readers}
        with selectors.DefaultSelector() as selector:
            for stream in readers:
                selector.register(stream.fileno(), selectors.EVENT_READ, stream)
            while selector.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout or 0)
                for key, _ in selector.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[id(key.data)].append(data)
                    else:
                        selector.unregister(key.fd)
        texts: list[Any] = []
        for stream in (self.stdout, self.stderr):
            if stream is None:
                texts.append(None)
                continue
            raw = b"".join(chunks[id(stream)])
            texts.append(raw.decode() if "b" not in stream.mode else raw)
            stream.close()
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return texts[0], texts[1]


class ForkServer:
    """One warm Python that forks real worker processes on request (see the module docstring).

    Args:
        preload: modules to import once, before any fork (what every worker imports anyway).
        env: the server's (and by default every child's) environment; default ``os.environ``
            now. Start the server after the test has set its ``HOME``, ``AWS_*`` and endpoints.
    """

    def __init__(self, preload: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        self._server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(theirs.fileno()), *preload],
            pass_fds=[theirs.fileno()],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            preexec_fn=default_sigint,
        )
        theirs.close()
        self._send_lock = threading.Lock()
        self._changed = threading.Condition()
        self._started: list[int] = []
        self._all: list[int] = []
        self._exited: dict[int, int] = {}
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="fork-server", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                message = self._control.recv(4096)
            except OSError:
                message = b""
            with self._changed:
                if not message:
                    self._closed = True
                    self._changed.notify_all()
                    return
                event = json.loads(message)
                if "started" in event:
                    self._started.append(int(event["started"]))
                else:
                    self._exited[int(event["exited"])] = int(event["code"])
                self._changed.notify_all()

    def _exit_code(self, pid: int, timeout: float | None) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exited or self._closed, timeout)
            if pid not in self._exited and self._closed:
                raise RuntimeError(f"the fork server ended before reporting child {pid}")
            return self._exited.get(pid)

    def popen(
        self,
        args: Sequence[str],
        *,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = subprocess.PIPE,
        stderr: int | None = subprocess.PIPE,
        text: bool = True,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> ForkedProcess:
        """Fork a child that runs ``args`` as ``python`` would, like :class:`subprocess.Popen`.

        Args:
            args: ``[sys.executable, "-c", CODE, *argv]``, ``[sys.executable, "-m", MODULE,
                *argv]`` or ``[sys.executable, SCRIPT, *argv]`` (the shapes tests pass to Popen).
            stdin, stdout, stderr: ``subprocess.PIPE``, ``subprocess.DEVNULL``, or ``None`` (this
                process's own descriptor, as Popen inherits it).
            text: decode the pipes as text.
            env: the child's whole environment (default: the server's). Modules in ``preload``
                were imported with the server's.
            cwd: the child's working directory (default: this process's).
        """
        args = list(args)
        if len(args) < 2 or args[0] != sys.executable:
            raise ValueError(f"expected [sys.executable, ...], got {args[:2]}")
        if args[1] in ("-c", "-m") and len(args) >= 3:
            kind, target, argv = args[1], args[2], args[3:]
        elif not args[1].startswith("-"):
            kind, target, argv = "script", args[1], args[2:]
        else:
            raise ValueError(f"expected '-c CODE', '-m MODULE' or a script, got {args[1]!r}")
        child_fds: list[int] = []
        ours: list[IO[Any] | None] = []
        to_close: list[int] = []
        for index, choice in enumerate((stdin, stdout, stderr)):
            if choice == subprocess.PIPE:
                read_end, write_end = os.pipe()
                mine, theirs = (write_end, read_end) if index == 0 else (read_end, write_end)
                mode = ("w" if index == 0 else "r") + ("" if text else "b")
                # the caller's end of the pipe, closed by communicate() (as Popen's are)
                ours.append(open(mine, mode, buffering=1 if text and index == 0 else -1))  # noqa: SIM115
                child_fds.append(theirs)
                to_close.append(theirs)
            elif choice == subprocess.DEVNULL:
                fd = os.open(os.devnull, os.O_RDWR)
                child_fds.append(fd)
                to_close.append(fd)
                ours.append(None)
            elif choice is None:
                child_fds.append(index)
                ours.append(None)
            else:
                raise ValueError(f"unsupported stdio choice {choice!r}")
        request = {
            "kind": kind,
            "target": target,
            "args": argv,
            "env": dict(self.env if env is None else env),
            "cwd": str(cwd or os.getcwd()),
        }
        try:
            with self._send_lock:
                socket.send_fds(self._control, [json.dumps(request).encode()], child_fds)
                with self._changed:
                    self._changed.wait_for(lambda: bool(self._started) or self._closed, 60)
                    if not self._started:
                        raise RuntimeError("the fork server did not start a child")
                    pid = self._started.pop(0)
                    self._all.append(pid)
        finally:
            for fd in to_close:
                os.close(fd)
        return ForkedProcess(self, args, pid, (ours[0], ours[1], ours[2]))

    def close(self) -> None:
        """Stop the server (children still running are killed first)."""
        with self._changed:
            running = [pid for pid in self._all if pid not in self._exited]
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._control.shutdown(socket.SHUT_RDWR)
        self._control.close()
        try:
            self._server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()
        self._reader.join(timeout=5)

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
