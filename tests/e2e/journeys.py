"""Steps the browser journeys share: the demo accounts' password, logging in and out, the
demo's months and example round as `load_chunan --demo-accounts` makes them today, and
typing a return as the demo's clerk would."""

from django.utils import timezone

from operations.demo.chunan_facts import DemoCalendar, sample_comment, sample_figures
from ratings.models import Declaration, JudgeAssignment, Round

DEMO_PASSWORD = "chunan-demo"


def log_in(page, username, password=DEMO_PASSWORD):
    page.goto("/accounts/login/")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    form.locator("button[type='submit']").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def demo_calendar() -> DemoCalendar:
    """The demo's months as a load today makes them (`last_month`: the clerks' current
    return)."""
    return DemoCalendar(today=timezone.localdate())


def example_round() -> Round:
    """The demo's example round: this year's, at its review meeting today."""
    return Round.objects.get(code=str(timezone.localdate().year), scheme_is_example=True)


def example_round_without_its_sample_review() -> Round:
    """The example round with its sample declarations and panel removed, for a journey that
    makes them itself."""
    round_ = example_round()
    Declaration.objects.filter(round=round_).delete()
    JudgeAssignment.objects.filter(round=round_).delete()
    return round_


def demo_entries(code: str, period) -> dict[str, str]:
    """Field id → what the demo's clerk types for the month: the sample return's figures
    (the service records prefill the same ones), and a comment on co-building funds paid
    that month, which stand out from the months before."""
    figures = sample_figures(code, period)
    entries = {f"id_v_{name}": str(value) for name, value in figures.items()}
    funds = figures["cobuilding_funds"]
    if funds:
        entries["id_c_cobuilding_funds"] = sample_comment(code, "cobuilding_funds", period, funds)
    return entries


def fill_as_the_demo(page, code: str, period):
    """Type every figure (and comment) of the return form as `demo_entries` says."""
    for field_id, text in demo_entries(code, period).items():
        field = page.locator(f"#{field_id}")
        if field.count():
            field.fill(text)
