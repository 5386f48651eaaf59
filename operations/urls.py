"""The benchmark's yardstick (make bench, docs/performance.md): absent unless
CHUNAN_BENCH_VIEWS."""

from django.urls import path

from operations import bench_load

app_name = "operations"
urlpatterns = []
if bench_load.views_enabled():
    urlpatterns.append(path("bench/minimal", bench_load.minimal, name="bench_minimal"))
