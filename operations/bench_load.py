"""Throughput for `make bench` and `make load`: the minimal view, a gunicorn server and a
load generator.

The load generator is plain asyncio on raw sockets: N connections, each sending one GET
after another for T seconds, keeping the connection open when the server allows it and
reconnecting when it answers `Connection: close` (gunicorn's sync workers do). It keeps the
time of every 200 answer (from connecting, when it had to, to the last byte) and counts
every failure by kind: another status, a connection error (refused, reset, closed before the
whole answer, an answer it cannot parse) or a timeout (no whole answer within `timeout`
seconds). It only ever talks to this machine (the loopback addresses): a benchmark is not a
way to load anyone else's server. This module is imported by the URL conf, so it imports
little.
"""

import asyncio
import http.client
import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse

MINIMAL_PATH = "/bench/minimal"


def views_enabled() -> bool:
    """The minimal view exists only when CHUNAN_BENCH_VIEWS=true (the benchmark's gunicorn
    sets it) or the setting of that name is true; never in a normal run."""
    setting = getattr(settings, "CHUNAN_BENCH_VIEWS", None)
    if setting is not None:
        return bool(setting)
    return os.environ.get("CHUNAN_BENCH_VIEWS", "").strip().lower() in ("true", "1", "yes")


def minimal(request):
    """The yardstick: a Django view through the whole middleware stack, and nothing else."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    path: str
    responses: int  # 200 responses completed within the time
    seconds: float
    latencies: list = field(default_factory=list)  # ms of each of those responses
    statuses: Counter = field(default_factory=Counter)  # other statuses answered, by code
    connection_errors: int = 0  # refused, reset, closed mid-answer, unparsable answer
    timeouts: int = 0  # no whole answer within the timeout

    @property
    def status_errors(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return self.status_errors + self.connection_errors + self.timeouts

    @property
    def per_second(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0

    def latency(self, fraction: float) -> float:
        """The latency (ms) below which `fraction` of the 200 answers came; 0 for none."""
        return percentile(self.latencies, fraction) if self.latencies else 0.0


def percentile(values, fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def check_loopback(host: str) -> None:
    """Refuse any address but this machine's own."""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"the load generator only targets this machine, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the load generator only targets this machine, not {host!r}")


async def _read_response(reader) -> tuple[int, bool]:
    """(status, keep the connection) after reading one whole response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    keep = version == "HTTP/1.1" and headers.get("connection") != "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        keep = False
    return int(status), keep


async def _connection(host, port, request: bytes, deadline: float, timeout, result) -> None:
    writer = None
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            # One timeout for connecting, sending and reading the whole answer.
            async with asyncio.timeout(timeout):
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request)
                status, keep = await _read_response(reader)
        except TimeoutError:
            result.timeouts += 1
            keep = False
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            result.connection_errors += 1
            keep = False
            await asyncio.sleep(0.01)  # no busy loop against a server that refuses
        else:
            finished = time.perf_counter()
            if finished <= deadline:
                if status == 200:
                    result.responses += 1
                    result.latencies.append((finished - started) * 1000)
                else:
                    result.statuses[status] += 1
        if not keep and writer is not None:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _load(host, port, path, connections, seconds, headers, timeout) -> LoadResult:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *headers, "", ""]
    request = "\r\n".join(lines).encode("latin-1")
    result = LoadResult(path, 0, seconds)
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(host, port, request, deadline, timeout, result) for _ in range(connections))
    )
    result.seconds = min(seconds, time.perf_counter() - started)
    return result


def load(
    base_url: str,
    path: str,
    *,
    connections: int = 8,
    seconds: float = 10.0,
    warmup: float = 1.0,
    timeout: float = 10.0,
    headers: tuple[str, ...] = ("Accept-Language: zh-hans",),
) -> LoadResult:
    """GET `path` over `connections` concurrent connections for `seconds` after `warmup`
    seconds whose responses are not counted; an answer not complete within `timeout` seconds
    is a timeout. Bounded in time (warm-up + seconds + one timeout at most), loopback only."""
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    check_loopback(host)
    if warmup > 0:
        asyncio.run(_load(host, port, path, connections, warmup, headers, timeout))
    return asyncio.run(_load(host, port, path, connections, seconds, headers, timeout))


# ---------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# gunicorn's settings for every way the portal is served: make run, the benchmarks, production.
CONFIG = Path(__file__).resolve().parent.parent / "chunan_community" / "gunicorn.conf.py"


class Gunicorn:
    """`gunicorn -c chunan_community/gunicorn.conf.py chunan_community.wsgi` on a free
    loopback port, with the minimal view on, as a context manager that stops it (this
    process's own child, by its pid). The worker class, threads and backlog are the config
    file's unless given; an access log only when `access_log` names a file; `environment`
    adds to (or overrides) this process's environment, e.g. another DATABASE_URL."""

    def __init__(
        self,
        *,
        workers: int = 2,
        worker_class: str | None = None,
        threads: int | None = None,
        backlog: int | None = None,
        timeout: float = 60.0,
        access_log: Path | None = None,
        environment: dict | None = None,
    ):
        self.workers = workers
        self.options = []
        for option, value in (
            ("--worker-class", worker_class),
            ("--threads", threads),
            ("--backlog", backlog),
            ("--access-logfile", access_log),
        ):
            if value is not None:
                self.options += [option, str(value)]
        self.timeout = timeout
        self.environment = environment or {}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        env = {**os.environ, **self.environment, "CHUNAN_BENCH_VIEWS": "true"}
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                str(CONFIG),
                "chunan_community.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                *self.options,
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            try:
                status = _get_status(self.port, MINIMAL_PATH)
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return
            raise RuntimeError(f"{MINIMAL_PATH} answered {status}: the minimal view is off")
        raise RuntimeError(f"gunicorn did not answer within {self.timeout:.0f} s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return False


def _get_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()
