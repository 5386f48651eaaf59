"""`manage.py bench`: the benchmark behind `make bench` (docs/performance.md).

Measures the key pages (queries, median and p95 time), the public pages' throughput through
gunicorn against a minimal view, and the CSV and XLSX export of every return, on the
database of DATABASE_URL; generates the synthetic data first when there is none. With
--load-notice (make load), only the public notice under many connections. The work is in
operations.bench.
"""

import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from operations import bench
from ratings.models import Round

PARTS = ("pages", "load", "export")


class Command(BaseCommand):
    help = (
        "Benchmark the key pages, the public pages under load through gunicorn and the "
        "exports; prints BENCH <name> <value> <unit> lines (docs/performance.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--communities",
            type=int,
            default=10_000,
            help="Synthetic communities to generate when there are none (default 10000).",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=12,
            help="Months of returns to generate when there is no synthetic data (default 12).",
        )
        parser.add_argument(
            "--requests", type=int, default=20, help="Measured requests a page (default 20)."
        )
        parser.add_argument(
            "--warmup", type=int, default=2, help="Unmeasured requests first (default 2)."
        )
        parser.add_argument(
            "--parts",
            default=",".join(PARTS),
            help="Which parts to run, comma-separated (default pages,load,export).",
        )
        parser.add_argument(
            "--load-notice",
            action="store_true",
            help="Only load the public notice of the latest published round through gunicorn "
            "(make load): requests, req/s, p50/p95/p99 latency and errors by kind; fails on "
            "any error.",
        )
        parser.add_argument(
            "--connections",
            type=int,
            help="Concurrent connections of the load (default 8; 200 with --load-notice).",
        )
        parser.add_argument(
            "--seconds",
            type=float,
            help="Seconds of load per page (default 10; 30 with --load-notice).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=10.0,
            help="Seconds an answer may take before it counts as a timeout (--load-notice; "
            "default 10).",
        )
        parser.add_argument(
            "--cold",
            action="store_true",
            help="With --load-notice: drop the public pages' cache just before, no warm-up.",
        )
        parser.add_argument(
            "--load-warmup",
            type=float,
            default=1.0,
            help="Seconds of load not counted before each page's (default 1).",
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
        parser.add_argument(
            "--worker-class",
            help="gunicorn worker class, e.g. sync or gthread (default: the config file's).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            help="gunicorn threads per worker (default: the config file's).",
        )
        parser.add_argument(
            "--server",
            help="Load a server already running on this machine (it must serve "
            "/bench/minimal) instead of starting gunicorn.",
        )
        parser.add_argument(
            "--export-in-process",
            action="store_true",
            help="Measure the exports in this process, not in a fresh child (for a "
            "database a child cannot see, e.g. the tests'); the memory is then this "
            "process's.",
        )
        parser.add_argument("--export-worker", choices=("csv", "xlsx"), help=argparse.SUPPRESS)
        parser.add_argument("--user", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["export_worker"]:
            result = bench.export_figures(options["export_worker"], options["user"])
            self.stdout.write(json.dumps(result))
            return
        parts = {part.strip() for part in options["parts"].split(",") if part.strip()}
        if unknown := parts - set(PARTS):
            raise CommandError(f"unknown parts: {', '.join(sorted(unknown))}")

        def write(line):
            self.stdout.write(line)
            self.stdout.flush()

        run = bench.Bench(
            write=write,
            note=self.stderr.write,
            requests=options["requests"],
            warmup=options["warmup"],
        )
        server = {
            "server_url": options["server"],
            "workers": options["workers"],
            "worker_class": options["worker_class"],
            "threads": options["threads"],
        }
        if options["load_notice"]:
            if not Round.objects.published().exists():
                run.ensure_data(communities=options["communities"], months=options["months"])
            try:
                run.run_notice_load(
                    **server,
                    connections=options["connections"] or 200,
                    seconds=options["seconds"] or 30.0,
                    warmup=options["load_warmup"],
                    timeout=options["timeout"],
                    cold=options["cold"],
                )
            except RuntimeError as error:
                raise CommandError(str(error)) from error
            if run.figures.failed:
                raise CommandError("the public notice answered with errors under load")
            return
        run.ensure_data(communities=options["communities"], months=options["months"])
        user = run.bench_user()
        if "pages" in parts:
            run.run_pages(user)
        if "load" in parts:
            run.run_load(
                **server,
                connections=options["connections"] or 8,
                seconds=options["seconds"] or 10.0,
                warmup=options["load_warmup"],
            )
        if "export" in parts:
            run.run_exports(user, in_process=options["export_in_process"])
        if run.figures.failed:
            raise CommandError(f"failed: {', '.join(run.figures.failed)}")
