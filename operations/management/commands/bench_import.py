"""`manage.py bench_import --rows 1000`: time the check and the import of an Excel workbook.

Builds synthetic communities and a filled workbook inside a transaction, times
`check_rows` (what the preview does) and `return_import_apply` (the confirmation), prints
`BENCH <name> <value> <unit>` lines, and rolls everything back: the database is left as it
was. Run it against PostgreSQL (DATABASE_URL) for the production figure.
"""

import io
import time

import openpyxl
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from chunan_community.months import add_months, month_start
from communities.models import (
    Community,
    Indicator,
    MonthlyReturn,
    ReturnImport,
    Role,
    Township,
    UserScope,
)
from communities.returns.imports import check_rows, check_upload, read_sheet, return_import_apply


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the check and the import of a synthetic Excel workbook (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1000)
        parser.add_argument("--months", type=int, default=1)

    def handle(self, *args, rows, months, **options):
        try:
            with transaction.atomic():
                self.run(rows=rows, months=max(1, months))
                raise Rollback
        except Rollback:
            pass

    def run(self, *, rows, months):
        from django.contrib.auth import get_user_model

        per_month = max(1, rows // months)
        township = Township.objects.create(code="bench-township", name="基准测试镇")
        communities = Community.objects.bulk_create(
            Community(
                township=township,
                code=f"bench-{n:05d}",
                name=f"基准测试社区{n}",
                founded_year=2000,
            )
            for n in range(per_month)
        )
        user = get_user_model().objects.create_user(username="bench-county")
        UserScope.objects.create(user=user, role=Role.COUNTY)
        last = add_months(month_start(timezone.localdate()), -1)
        periods = [add_months(last, -m) for m in range(months)]
        indicators = list(Indicator.objects.active_in(periods[-1]).active_in(last))

        if not indicators:
            self.stderr.write("No indicators: run manage.py load_indicators first.")
            return
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "returns"
        header = ["community_code", "community_name", "month", "version", "status"]
        sheet.append(header + [indicator.code for indicator in indicators])
        for period in periods:
            for community in communities:
                sheet.append(
                    [community.code, community.name, f"{period:%Y-%m}", 0, ""]
                    + [self.value(indicator) for indicator in indicators]
                )
        buffer = io.BytesIO()
        workbook.save(buffer)
        data = buffer.getvalue()
        count = per_month * months

        started = time.perf_counter()
        check_upload(data)
        checked = check_rows(read_sheet(data), user=user)
        checked_in = time.perf_counter() - started
        if checked.errors:
            self.stderr.write(f"The workbook has errors, e.g. {checked.errors[:3]}")
            return
        upload = ReturnImport.objects.create(
            uploaded_by=user, file_name="bench.xlsx", rows=checked.rows, errors=[]
        )
        queries = []
        started = time.perf_counter()
        with connection.execute_wrapper(lambda execute, *a: queries.append(1) or execute(*a)):
            imported = return_import_apply(return_import=upload, by=user)
        imported_in = time.perf_counter() - started
        assert (
            imported == count == MonthlyReturn.objects.filter(community__township=township).count()
        )

        vendor = connection.vendor
        self.stdout.write(f"BENCH import_rows {count} rows")
        self.stdout.write(f"BENCH import_indicators {len(indicators)} columns")
        self.stdout.write(f"BENCH import_check_{vendor} {checked_in:.2f} s")
        self.stdout.write(f"BENCH import_apply_{vendor} {imported_in:.2f} s")
        self.stdout.write(f"BENCH import_apply_queries_per_row {len(queries) / count:.1f} queries")

    @staticmethod
    def value(indicator):
        # Within every default rule (x ≤ residents, resolved ≤ received …) and every limit.
        fixed = {"residents": 5000, "households": 1500, "requests_received": 12}
        return fixed.get(indicator.code, 3)
