"""The benchmark behind `make bench` (`manage.py bench`): docs/performance.md.

Three parts, each printing `BENCH <name> <value> <unit>` lines on stdout (notes go to stderr):

1. pages: each key page requested in this process with Django's test client, anonymous for
   the public pages and as the county user `syn-bench-county` for the others: SQL queries of
   one request (CaptureQueriesContext), then the median and 95th percentile of the time of
   `requests` requests after `warmup` unmeasured ones. The return form's POST saves a draft
   inside a transaction that is rolled back, so the database is left as it was.
2. load: the public pages through gunicorn (bench_load.Gunicorn) under concurrent load, and
   the minimal view on the same server before and after them; the figure is each page's
   requests per second divided by the minimal view's.
3. export: the CSV and XLSX export of every return, each in a fresh child process
   (`manage.py bench --export-worker csv`): rows per second from the request to the last byte,
   and the child's peak resident memory (VmHWM of /proc/self/status, read in the child after
   the export), with its growth over the resident memory just before the request.

When the database holds no synthetic data (codes `syn-…`), it is generated first
(scale_data.generate). The only rows the benchmark adds are the county user
`syn-bench-county` and its scope, marked synthetic by the prefix like `syn-generator`.
"""

import json
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from chunan_community import public_cache
from chunan_community.months import month_start
from communities.models import Community, Indicator, MonthlyReturn, ReturnStatus, Role, UserScope
from communities.returns.excel import export_returns
from communities.returns.forms import ReturnForm, comment_field_name, value_field_name
from communities.returns.queries import entry_context, stored_values
from communities.returns.reports import Counted, Grain, Level
from operations import bench_load, scale_data
from operations.bench_load import percentile
from ratings.models import Round
from reports import live

BENCH_USERNAME = f"{scale_data.PREFIX}bench-county"
PUBLIC, COUNTY = "public", "county"
PUBLIC_PAGES = ("home", "directory", "profile", "results", "notice")
MB = 1024 * 1024


@dataclass
class Target:
    name: str
    url: str | None  # None: the page does not exist (yet) in this checkout
    user: str = PUBLIC
    data: dict | None = None  # a POST, rolled back
    expect: int = 200
    # A staff page kept in a cache of its own (reports.live): also measured rebuilt.
    rebuilt: bool = False


@dataclass
class Figures:
    """What was printed, by name, for the caller and the tests."""

    values: dict = field(default_factory=dict)
    failed: list = field(default_factory=list)


class Bench:
    def __init__(
        self,
        *,
        write: Callable[[str], None],
        note: Callable[[str], None],
        requests: int = 20,
        warmup: int = 2,
    ):
        self.write = write
        self.note = note
        self.requests = max(1, requests)
        self.warmup = max(0, warmup)
        # Uncached renders of the public pages are slow at scale: fewer of them.
        self.uncached_requests = max(1, min(self.requests, max(3, self.requests // 4)))
        self.run_id = uuid.uuid4().hex[:8]
        self.figures = Figures()
        self.secure = settings.SECURE_SSL_REDIRECT
        self.host = _allowed_host()

    def emit(self, name: str, value, unit: str = "") -> None:
        if isinstance(value, float):
            value = f"{value:.2f}" if unit == "ratio" else f"{value:.1f}"
        self.figures.values[name] = value
        self.write(f"BENCH {name} {value} {unit}".rstrip())

    # -------------------------------------------------------------------------- data

    def ensure_data(self, *, communities: int, months: int) -> None:
        """Generate the synthetic data when there is none; say how much there is."""
        if not Community.objects.filter(code__startswith=scale_data.PREFIX).exists():
            self.note(f"no synthetic data: generating {communities} communities x {months} months")

            def progress(done, total, seconds):
                self.note(f"  communities {done}/{total} … {seconds:.1f} s")

            scale_data.generate(
                scale_data.Options(communities=communities, months=months), progress=progress
            )
        synthetic = Community.objects.filter(code__startswith=scale_data.PREFIX)
        self.emit("data_communities", synthetic.count(), "communities")
        self.emit("data_returns", MonthlyReturn.objects.count(), "returns")

    def bench_user(self):
        """The county user the staff pages are requested as (created once, synthetic)."""
        user, created = get_user_model().objects.get_or_create(
            username=BENCH_USERNAME,
            defaults={"is_staff": True, "first_name": "合成数据", "last_name": "性能测试"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        UserScope.objects.update_or_create(
            user=user, defaults={"role": Role.COUNTY, "township": None, "community": None}
        )
        return user

    # -------------------------------------------------------------------------- targets

    def targets(self) -> list[Target]:
        synthetic = Community.objects.filter(code__startswith=scale_data.PREFIX)
        community = synthetic.order_by("code").first()
        round_ = Round.objects.filter(code__startswith=scale_data.PREFIX).order_by("-year").first()
        edited = self._return_to_edit(synthetic)
        targets = [
            Target("home", reverse("portal:home")),
            Target("directory", reverse("communities:directory")),
            Target("profile", reverse("communities:profile", args=[community.code])),
            Target("results", reverse("ratings:round_results", args=[round_.code])),
            Target("notice", reverse("ratings:round_notice", args=[round_.code])),
            Target("dashboard", _reverse_or_none("portal:dashboard"), COUNTY),
            Target("completeness", reverse("returns:completeness"), COUNTY),
            Target("aggregates", reverse("returns:aggregates") + self._aggregates_query(), COUNTY),
            # The county's yearly report on community building, for the synthetic months'
            # latest year (with the year before), and the circular of the last closed quarter.
            Target("yearly_report", self._yearly_report_url(), COUNTY, rebuilt=True),
            Target(
                "circular",
                reverse("reports:report", kwargs={"kind": "circular"}),
                COUNTY,
                rebuilt=True,
            ),
        ]
        url = reverse(
            "returns:detail",
            kwargs={"code": edited.community.code, "month": f"{edited.period:%Y-%m}"},
        )
        self.note(
            f"return form: {edited.community.code} {edited.period:%Y-%m} "
            f"({edited.status if edited.pk else 'not started'})"
        )
        targets += [
            Target("return_get", url, COUNTY),
            Target("return_post", url, COUNTY, data=self._draft_post(edited), expect=302),
            Target("admin_returns", reverse("admin:communities_monthlyreturn_changelist"), COUNTY),
        ]
        return targets

    def _return_to_edit(self, synthetic) -> MonthlyReturn:
        """This month's return of the first synthetic community, not started yet (the
        synthetic months end before the current one): the clerk's usual first save, the same
        at every size, since community 00001's data do not depend on N. Else the latest draft
        (or returned) synthetic return."""
        community = synthetic.order_by("code").first()
        period = month_start(timezone.localdate())
        existing = MonthlyReturn.objects.filter(community=community, period=period).first()
        if existing is None:
            return MonthlyReturn(community=community, period=period, version=0)
        editable = (
            MonthlyReturn.objects.filter(
                community__in=synthetic, status__in=[ReturnStatus.DRAFT, ReturnStatus.RETURNED]
            )
            .select_related("community")
            .order_by("-period", "status", "community__code")
            .first()
        )
        return editable or existing

    def _draft_post(self, monthly_return) -> dict:
        """A draft save as the form sends it: the stored figures, the gaps filled with last
        month's (when that passes the form's checks), the version the page was opened at."""
        context = entry_context(monthly_return.community, monthly_return.period)
        stored = stored_values(monthly_return)
        base = {"version": str(monthly_return.version or 0), "action": "save"}
        kept, filled = dict(base), dict(base)
        for indicator in context["indicators"]:
            value, comment = stored.get(indicator.pk, (None, ""))
            previous = context["previous"].get(indicator.pk)
            kept[value_field_name(indicator)] = "" if value is None else str(value)
            filled[value_field_name(indicator)] = (
                str(value) if value is not None else "" if previous is None else str(previous)
            )
            kept[comment_field_name(indicator)] = filled[comment_field_name(indicator)] = comment
        if ReturnForm(filled, **context).is_valid():
            return filled
        return kept

    def _yearly_report_url(self) -> str:
        latest = MonthlyReturn.objects.aggregate(last=Max("period"))["last"]
        year = (latest or timezone.localdate()).year
        return reverse("reports:report", kwargs={"kind": "yearly"}) + f"?year={year}"

    def _aggregates_query(self) -> str:
        """A county officer's question: volunteer hours per township, month by month, over
        the synthetic months."""
        from urllib.parse import urlencode

        span = MonthlyReturn.objects.aggregate(first=Min("period"))
        last = month_start(timezone.localdate())
        first = max(span["first"] or last, last.replace(year=last.year - 1))
        indicator = (
            Indicator.objects.filter(code="volunteer_hours").first()
            or Indicator.objects.order_by("code").first()
        )
        return "?" + urlencode(
            {
                "indicator": indicator.code if indicator else "",
                "level": Level.TOWNSHIP,
                "grain": Grain.MONTH,
                "month_from": f"{first:%Y-%m}",
                "month_to": f"{last:%Y-%m}",
                "counted": Counted.SUBMITTED,
            }
        )

    # -------------------------------------------------------------------------- pages

    def run_pages(self, user) -> None:
        clients = {PUBLIC: Client(HTTP_HOST=self.host)}
        county = clients[COUNTY] = Client(HTTP_HOST=self.host)
        county.force_login(user)
        try:
            for target in self.targets():
                self.measure(clients[target.user], target)
        finally:
            county.logout()

    def _request(self, client, target, url=None):
        url = url or target.url
        if target.data is None:
            return client.get(url, secure=self.secure)
        # The draft save is undone: the database is the same after every iteration.
        with transaction.atomic():
            response = client.post(url, target.data, secure=self.secure)
            transaction.set_rollback(True)
        client.cookies.pop("messages", None)  # the "saved" message, never shown
        return response

    def measure(self, client, target: Target) -> None:
        """`<name>_queries`, `_median`, `_p95` and `_size`; for a public page, the same for
        a page the cache cannot answer (`<name>_uncached_…`: a URL never asked before)."""
        if target.url is None:
            self.note(f"{target.name}: no such page in this checkout")
            for figure in ("queries", "median", "p95"):
                self.emit(f"{target.name}_{figure}", "unavailable")
            return
        if not self._measure(client, target, target.name, self.warmup, self.requests):
            return
        if target.user == PUBLIC:
            self._measure(
                client, target, f"{target.name}_uncached", 0, self.uncached_requests, bust=True
            )
        if target.rebuilt:
            # Built from the records each time: the first request after any change.
            self._measure(
                client, target, f"{target.name}_rebuilt", 0, self.uncached_requests, bust=True
            )

    def _measure(self, client, target, name, warmup, requests, *, bust=False) -> bool:
        figures = ("queries", "median", "p95", "size")
        counter = iter(range(1_000_000))

        def url():
            if target.rebuilt and bust:
                # The report's cache is keyed by the records' version, not the address.
                live.bump_version()
                return target.url
            if not bust:
                return target.url
            # A query parameter no page reads: a cache key never used before.
            joiner = "&" if "?" in target.url else "?"
            return f"{target.url}{joiner}bench-nocache={self.run_id}-{next(counter)}"

        try:
            for _ in range(warmup):
                self._check(target, self._request(client, target, url()))
            with CaptureQueriesContext(connection) as queries:
                response = self._request(client, target, url())
            self._check(target, response)
            # Read now: the next request's request_started signal empties the log.
            query_count = len(queries.captured_queries)
            size = len(response.content)
            times = []
            for _ in range(requests):
                address = url()
                started = time.perf_counter()
                response = self._request(client, target, address)
                times.append((time.perf_counter() - started) * 1000)
                self._check(target, response)
        except Exception as error:  # one broken page must not stop the run
            self.note(f"{name}: {type(error).__name__}: {error}")
            self.figures.failed.append(name)
            for figure in figures:
                self.emit(f"{name}_{figure}", "failed")
            return False
        self.emit(f"{name}_queries", query_count, "queries")
        self.emit(f"{name}_median", statistics.median(times), "ms")
        self.emit(f"{name}_p95", percentile(times, 0.95), "ms")
        self.emit(f"{name}_size", size / 1024, "KB")
        return True

    @staticmethod
    def _check(target, response):
        if response.status_code != target.expect:
            raise RuntimeError(
                f"{target.url} answered {response.status_code}, expected {target.expect}"
            )

    # -------------------------------------------------------------------------- load

    def run_load(
        self,
        *,
        server_url: str | None = None,
        workers: int = 2,
        worker_class: str | None = None,
        threads: int | None = None,
        connections: int = 8,
        seconds: float = 10.0,
        warmup: float = 1.0,
    ) -> None:
        """Requests per second of each public page and of the minimal view, on one server."""
        paths = {t.name: t.url for t in self.targets() if t.name in PUBLIC_PAGES}
        headers = ("Accept-Language: zh-hans",)
        if self.secure:
            headers += ("X-Forwarded-Proto: https",)

        def run(base_url):
            def one(path):
                result = bench_load.load(
                    base_url,
                    path,
                    connections=connections,
                    seconds=seconds,
                    warmup=warmup,
                    headers=headers,
                )
                if result.errors or not result.responses:
                    self.note(f"{path}: {result.errors} errors, {result.responses} answers")
                return result

            before = one(bench_load.MINIMAL_PATH)
            pages = {name: one(path) for name, path in paths.items()}
            after = one(bench_load.MINIMAL_PATH)
            minimal = (before.per_second + after.per_second) / 2
            self.emit("minimal_throughput", minimal, "req/s")
            if before.errors or after.errors:
                self.figures.failed.append("minimal_throughput")
            for name, result in pages.items():
                self.emit(f"{name}_throughput", result.per_second, "req/s")
                ratio = result.per_second / minimal if minimal else 0.0
                self.emit(f"{name}_throughput_ratio", ratio, "ratio")
                if result.errors:
                    self.figures.failed.append(f"{name}_throughput")

        if server_url:
            run(server_url)
            return
        server = bench_load.Gunicorn(workers=workers, worker_class=worker_class, threads=threads)
        self.note(
            f"gunicorn: {workers} workers, {' '.join(server.options) or 'config file'}, "
            f"{connections} connections, {seconds:g} s a page"
        )
        with server:
            run(server.url)

    # -------------------------------------------------------------------------- notice load

    def notice_url(self) -> str:
        """The public notice (公示) of the latest published round, synthetic or not."""
        round_ = Round.objects.published().order_by("-year", "-code").first()
        if round_ is None:
            raise RuntimeError("no published rating round: there is no public notice to load")
        return reverse("ratings:round_notice", args=[round_.code])

    def run_notice_load(
        self,
        *,
        server_url: str | None = None,
        workers: int = 2,
        worker_class: str | None = None,
        threads: int | None = None,
        connections: int = 200,
        seconds: float = 30.0,
        warmup: float = 2.0,
        timeout: float = 10.0,
        cold: bool = False,
    ) -> None:
        """The public notice under `connections` concurrent connections for `seconds`:
        requests, req/s, p50/p95/p99 latency and the errors by kind (`notice_load_…`).
        Any error fails the run. `cold` drops the public pages' cache just before and skips
        the warm-up, so the first requests render the page."""
        path = self.notice_url()
        headers = ("Accept-Language: zh-hans",)
        if self.secure:
            headers += ("X-Forwarded-Proto: https",)

        def run(base_url):
            if cold:
                public_cache.bump_version()
            self.note(
                f"{path}: {connections} connections for {seconds:g} s"
                + (", cache cold" if cold else f" after {warmup:g} s of warm-up")
            )
            result = bench_load.load(
                base_url,
                path,
                connections=connections,
                seconds=seconds,
                warmup=0 if cold else warmup,
                timeout=timeout,
                headers=headers,
            )
            self.emit("notice_load_connections", connections, "connections")
            self.emit("notice_load_requests", result.responses, "requests")
            self.emit("notice_load_throughput", result.per_second, "req/s")
            for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
                self.emit(f"notice_load_{name}", result.latency(fraction), "ms")
            self.emit("notice_load_errors", result.errors, "errors")
            self.emit("notice_load_errors_status", result.status_errors, "errors")
            self.emit("notice_load_errors_connection", result.connection_errors, "errors")
            self.emit("notice_load_errors_timeout", result.timeouts, "errors")
            if result.statuses:
                answered = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
                self.note(f"{path}: answered {answered}")
            if result.errors or not result.responses:
                self.figures.failed.append("notice_load")

        if server_url:
            run(server_url)
            return
        server = bench_load.Gunicorn(workers=workers, worker_class=worker_class, threads=threads)
        self.note(f"gunicorn: {workers} workers, {' '.join(server.options) or 'config file'}")
        with server:
            run(server.url)

    # -------------------------------------------------------------------------- export

    def run_exports(self, user, *, in_process: bool = False) -> None:
        for fmt in ("csv", "xlsx"):
            if in_process:
                result = export_figures(fmt, user.username)
            else:
                result = self._export_child(fmt, user.username)
            if result is None:
                self.figures.failed.append(f"export_{fmt}")
                for name in ("rows", "seconds", "rows_per_s", "peak_memory", "memory_growth"):
                    self.emit(f"export_{fmt}_{name}", "failed")
                continue
            self.emit(f"export_{fmt}_rows", result["rows"], "rows")
            self.emit(f"export_{fmt}_seconds", result["seconds"], "s")
            rate = result["rows"] / result["seconds"] if result["seconds"] else 0.0
            self.emit(f"export_{fmt}_rows_per_s", round(rate), "rows/s")
            self.emit(f"export_{fmt}_peak_memory", result["peak_mb"], "MB")
            growth = max(0.0, result["peak_mb"] - result["before_mb"])
            self.emit(f"export_{fmt}_memory_growth", growth, "MB")

    def _export_child(self, fmt: str, username: str) -> dict | None:
        command = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "bench",
            "--export-worker",
            fmt,
            "--user",
            username,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            self.note(f"export {fmt}: the child failed:\n{done.stderr[-2000:]}")
            return None
        return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ helpers


def export_figures(fmt: str, username: str) -> dict:
    """Export every return the user may see as `fmt` through the view, reading the whole
    body; rows, seconds, resident memory before (MB) and peak (MB) of this process."""
    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST=_allowed_host())
    client.force_login(user)
    rows = export_returns(user).count()
    url = reverse("returns:export_csv" if fmt == "csv" else "returns:export_xlsx")
    before = _resident_mb()
    started = time.perf_counter()
    response = client.get(url, secure=settings.SECURE_SSL_REDIRECT)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    size = 0
    # The test client closes the response once its content is read to the end.
    for chunk in response.streaming_content:
        size += len(chunk)
    seconds = time.perf_counter() - started
    client.logout()
    # The kernel updates the high-water mark lazily: never below what was seen resident.
    peak = max(_status_mb("VmHWM"), before, _resident_mb())
    return {
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "before_mb": round(before, 1),
        "peak_mb": round(peak, 1),
    }


def _resident_mb() -> float:
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (the peak) of this process, in MB, from
    /proc/self/status. Not getrusage's ru_maxrss: Linux carries it over fork and exec, so a
    child started by a big parent would report the parent's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _reverse_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _allowed_host() -> str:
    """A Host header the settings accept (the test client's "testserver" is not)."""
    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return "localhost"
        if host.startswith("."):
            return "bench" + host
        return host
    return "localhost"
