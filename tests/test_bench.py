"""`manage.py bench` (make bench) at a tiny scale, and the minimal view it measures against."""

import importlib
import io
import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import clear_url_caches

import chunan_community.urls
from chunan_community import bench, bench_load, scale_data
from communities.models import Community, MonthlyReturn

PAGES = (
    "home",
    "directory",
    "profile",
    "results",
    "notice",
    "dashboard",
    "completeness",
    "aggregates",
    "return_get",
    "return_post",
    "admin_returns",
)
PUBLIC = ("home", "directory", "profile", "results", "notice")


def _reload_urls():
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
