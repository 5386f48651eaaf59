import io

import pytest
from django.core.management import call_command

from communities.models import Community, MonthlyReturn, ReturnValue

pytestmark = pytest.mark.django_db


def test_bench_import_prints_figures_and_leaves_nothing_behind():
    call_command("load_indicators", verbosity=0)
    out = io.StringIO()

    call_command("bench_import", rows=6, months=2, stdout=out)

    names = [line.split()[1] for line in out.getvalue().splitlines()]
    assert names[:2] == ["import_rows", "import_indicators"]
    assert out.getvalue().splitlines()[0] == "BENCH import_rows 6 rows"
    assert len(names) == 5
    assert (Community.objects.count(), MonthlyReturn.objects.count()) == (0, 0)
    assert ReturnValue.objects.count() == 0
