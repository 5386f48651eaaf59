"""`manage.py bench` (make bench, make load) at a tiny scale, the minimal view it measures
against, its load generator's error counts, and gunicorn's access log format."""

import datetime
import importlib
import io
import json
import runpy
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import clear_url_caches
from gunicorn.config import Config
from gunicorn.glogging import Logger

import chunan_community.urls
import operations.urls
from communities.models import Community, MonthlyReturn
from operations import bench, bench_load, scale_data
from ratings.models import RoundStatus
from tests.ratings.factories import make_round

PAGES = (
    "home",
    "directory",
    "profile",
    "results",
    "notice",
    "dashboard",
    "completeness",
    "aggregates",
    "yearly_report",
    "circular",
    "return_get",
    "return_post",
    "admin_returns",
)
PUBLIC = ("home", "directory", "profile", "results", "notice")
# Staff pages kept in the reports' cache: also measured rebuilt from the records.
REBUILT = ("yearly_report", "circular")


def _reload_urls():
    importlib.reload(operations.urls)
    importlib.reload(chunan_community.urls)
    clear_url_caches()


@pytest.fixture
def bench_views():
    """The URL conf as gunicorn loads it under make bench (CHUNAN_BENCH_VIEWS=true)."""
    with override_settings(CHUNAN_BENCH_VIEWS=True):
        _reload_urls()
        yield
    _reload_urls()


def _figures(output: str) -> dict[str, tuple[str, str]]:
    lines = [line.split() for line in output.splitlines()]
    assert all(parts[0] == "BENCH" and len(parts) in (3, 4) for parts in lines), output
    return {parts[1]: (parts[2], parts[3] if len(parts) == 4 else "") for parts in lines}


def _expected_names() -> set[str]:
    names = {"data_communities", "data_returns", "minimal_throughput"}
    for page in PAGES:
        names |= {f"{page}_{figure}" for figure in ("queries", "median", "p95", "size")}
    for page in PUBLIC:
        names |= {f"{page}_uncached_{f}" for f in ("queries", "median", "p95", "size")}
        names |= {f"{page}_throughput", f"{page}_throughput_ratio"}
    for page in REBUILT:
        names |= {f"{page}_rebuilt_{f}" for f in ("queries", "median", "p95", "size")}
    for fmt in ("csv", "xlsx"):
        names |= {
            f"export_{fmt}_{figure}"
            for figure in ("rows", "seconds", "rows_per_s", "peak_memory", "memory_growth")
        }
    return names


def test_minimal_view_absent_without_the_setting(client):
    assert bench_load.views_enabled() is False

    response = client.get("/bench/minimal")

    assert response.status_code == 404


def test_minimal_view_answers_ok_with_the_setting(client, bench_views):
    response = client.get("/bench/minimal")

    assert (response.status_code, response.content) == (200, b"ok")


def test_bench_views_follow_the_environment_when_no_setting(monkeypatch):
    monkeypatch.setenv("CHUNAN_BENCH_VIEWS", "true")
    assert bench_load.views_enabled() is True
    monkeypatch.setenv("CHUNAN_BENCH_VIEWS", "false")
    assert bench_load.views_enabled() is False


def test_load_refuses_any_address_but_this_machine():
    with pytest.raises(ValueError, match="only targets this machine"):
        bench_load.load("http://192.0.2.1:8000", "/", seconds=0.1, warmup=0)


def test_percentile_interpolates_between_ranks():
    assert bench.percentile(range(1, 21), 0.95) == pytest.approx(19.05)
    assert bench.percentile([4.0], 0.95) == 4.0


@pytest.mark.django_db(transaction=True)
def test_bench_prints_every_figure_at_a_tiny_scale(live_server, bench_views):
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "bench",
        communities=3,
        months=2,
        requests=2,
        warmup=1,
        connections=1,
        seconds=0.5,
        load_warmup=0.2,
        server=live_server.url,
        export_in_process=True,
        stdout=out,
        stderr=err,
    )

    figures = _figures(out.getvalue())
    dashboard = {name for name in figures if name.startswith("dashboard_")}
    if figures["dashboard_queries"][0] == "unavailable":  # the dashboard is not built yet
        assert {figures[name][0] for name in dashboard} == {"unavailable"}
        assert set(figures) | {"dashboard_size"} == _expected_names()
    else:
        assert set(figures) == _expected_names()
    assert figures["data_communities"] == ("3", "communities")
    # Counted before the pages, and the same now: every draft save was rolled back.
    returns = MonthlyReturn.objects.count()
    assert figures["data_returns"] == (str(returns), "returns")
    numbers = {n: float(v) for n, (v, _unit) in figures.items() if v != "unavailable"}
    for page in PAGES + tuple(f"{page}_uncached" for page in PUBLIC):
        if figures.get(f"{page}_queries", ("",))[0] == "unavailable":
            continue
        assert figures[f"{page}_queries"][1] == "queries"
        assert numbers[f"{page}_queries"] == int(numbers[f"{page}_queries"]) >= 0
        assert 0 < numbers[f"{page}_median"] <= numbers[f"{page}_p95"]
        assert figures[f"{page}_p95"][1] == "ms"
        # The draft save answers with a redirect, and no body.
        assert (
            numbers[f"{page}_size"] == 0 if page == "return_post" else numbers[f"{page}_size"] > 0
        )
    for page in PUBLIC:
        assert numbers[f"{page}_uncached_queries"] >= 1  # rendered, not from the cache
        assert numbers[f"{page}_throughput"] > 0
        assert figures[f"{page}_throughput_ratio"][1] == "ratio"
        assert numbers[f"{page}_throughput_ratio"] > 0
    assert numbers["return_post_queries"] >= 1
    assert numbers["minimal_throughput"] > 0
    for fmt in ("csv", "xlsx"):
        assert figures[f"export_{fmt}_rows"] == (str(returns), "rows")
        assert numbers[f"export_{fmt}_rows_per_s"] > 0
        assert figures[f"export_{fmt}_peak_memory"][1] == "MB"
        assert numbers[f"export_{fmt}_peak_memory"] > 0
        assert numbers[f"export_{fmt}_memory_growth"] >= 0
    assert Community.objects.count() == 3


@pytest.mark.django_db
def test_bench_export_worker_prints_its_figures_as_json():
    scale_data.generate(scale_data.Options(communities=2, months=1))
    bench.Bench(write=print, note=print).bench_user()
    out = io.StringIO()

    call_command("bench", export_worker="csv", user=bench.BENCH_USERNAME, stdout=out)

    result = json.loads(out.getvalue())
    assert result["rows"] == MonthlyReturn.objects.count()
    assert result["peak_mb"] >= result["before_mb"] > 0
    assert result["bytes"] > 0


# ------------------------------------------------------------------- the public notice's load

NOTICE_FIGURES = {
    f"notice_load_{name}"
    for name in (
        "connections",
        "requests",
        "throughput",
        "p50",
        "p95",
        "p99",
        "errors",
        "errors_status",
        "errors_connection",
        "errors_timeout",
    )
}


@pytest.fixture
def answering():
    """A tiny HTTP/1.1 server on a free loopback port answering every GET with the status
    the test sets (keep-alive); its URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        status = 200

        def do_GET(self):
            body = b"answer"
            self.send_response(Handler.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", handler=Handler)
    server.shutdown()
    server.server_close()


def test_load_times_every_answer(answering):
    result = bench_load.load(answering.url, "/", connections=3, seconds=0.3, warmup=0)

    assert result.responses == len(result.latencies) > 0
    assert 0 < result.latency(0.50) <= result.latency(0.95) <= result.latency(0.99)
    assert (result.errors, result.statuses) == (0, {})


def test_load_counts_other_statuses_by_code(answering):
    answering.handler.status = 503

    result = bench_load.load(answering.url, "/", connections=2, seconds=0.3, warmup=0)

    assert result.responses == 0
    assert result.statuses == {503: result.errors}
    assert result.errors > 0
    assert (result.connection_errors, result.timeouts) == (0, 0)


def test_load_counts_refused_connections():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once it is closed

    result = bench_load.load(f"http://127.0.0.1:{port}", "/", connections=2, seconds=0.2, warmup=0)

    assert result.connection_errors == result.errors > 0
    assert (result.responses, result.timeouts, result.status_errors) == (0, 0, 0)


def test_load_counts_answers_that_never_come_as_timeouts():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections complete in the backlog, nobody ever answers
        port = silent.getsockname()[1]

        result = bench_load.load(
            f"http://127.0.0.1:{port}", "/", connections=2, seconds=0.3, warmup=0, timeout=0.2
        )

    assert result.timeouts == result.errors >= 2
    assert (result.responses, result.connection_errors, result.status_errors) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_bench_load_notice_prints_its_figures(live_server):
    make_round(code="2026", year=2026, status=RoundStatus.FINAL)
    make_round(code="2025", year=2025, status=RoundStatus.FINAL)
    make_round(code="2027", year=2027, status=RoundStatus.REVIEW)  # not published
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "bench",
        load_notice=True,
        connections=4,
        seconds=0.5,
        load_warmup=0.2,
        server=live_server.url,
        stdout=out,
        stderr=err,
    )

    figures = _figures(out.getvalue())
    assert set(figures) == NOTICE_FIGURES
    assert "/ratings/2026/notice/: 4 connections for 0.5 s" in err.getvalue()
    assert figures["notice_load_connections"] == ("4", "connections")
    assert int(figures["notice_load_requests"][0]) > 0
    assert float(figures["notice_load_throughput"][0]) > 0
    p50, p95, p99 = (float(figures[f"notice_load_{p}"][0]) for p in ("p50", "p95", "p99"))
    assert 0 < p50 <= p95 <= p99
    assert figures["notice_load_p99"][1] == "ms"
    for name in ("errors", "errors_status", "errors_connection", "errors_timeout"):
        assert figures[f"notice_load_{name}"] == ("0", "errors")


@pytest.mark.django_db
def test_bench_load_notice_fails_when_any_request_fails(answering):
    make_round(code="2026", status=RoundStatus.FINAL)
    answering.handler.status = 502
    out = io.StringIO()

    with pytest.raises(CommandError, match="answered with errors"):
        call_command(
            "bench",
            load_notice=True,
            connections=2,
            seconds=0.2,
            load_warmup=0,
            server=answering.url,
            stdout=out,
            stderr=io.StringIO(),
        )

    figures = _figures(out.getvalue())
    assert figures["notice_load_requests"] == ("0", "requests")
    assert int(figures["notice_load_errors"][0]) > 0
    assert figures["notice_load_errors_status"] == figures["notice_load_errors"]
    assert figures["notice_load_errors_connection"] == ("0", "errors")


# ------------------------------------------------------------------------ gunicorn's access log


def test_gunicorn_access_log_leaves_out_query_strings_and_referrers(tmp_path):
    """Residents' names searched for travel in query strings: the access log of every
    gunicorn started with the config file names the path only."""
    access_format = runpy.run_path(str(bench_load.CONFIG))["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "{referer}i"):
        assert atom not in access_format.lower()
    config = Config()
    config.set("access_log_format", access_format)
    config.set("accesslog", str(tmp_path / "access.log"))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/services/volunteers/?q=%E7%8E%8B%E5%B0%8F%E6%98%8E",
        "PATH_INFO": "/services/volunteers/",
        "QUERY_STRING": "q=%E7%8E%8B%E5%B0%8F%E6%98%8E",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://portal.example.org/services/volunteers/?q=wang",
        "HTTP_USER_AGENT": "Firefox",
    }
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    logger = Logger(config)
    logger.access(response, request, environ, datetime.timedelta(milliseconds=42))
    for handler in logger.access_log.handlers:
        handler.close()
    line = (tmp_path / "access.log").read_text()

    assert '"GET /services/volunteers/ HTTP/1.1" 200 1234 42ms "Firefox"' in line
    assert "q=" not in line
    assert "%E7" not in line
