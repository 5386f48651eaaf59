"""WCAG 2.1 AA in the browser: the public pages, the clerk's monthly return form, the
judge's score sheet and the county's announcement pages, in Chinese and in English.

Each page is checked by axe-core (the WCAG 2.0/2.1 A and AA rules) and, beyond what axe can
see, by hand: the language of the page, one h1 and no skipped heading level, a skip link that
works with the keyboard, an accessible name for every control (from Chromium's own
accessibility tree). The two forms are then walked with the keyboard only.
"""

import itertools
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from communities.models import MonthlyReturn, ReturnStatus
from portal import announcements
from ratings.models import ScoreSheet
from reports.models import Kind, Publication
from tests.e2e import portal_pages
from tests.e2e.journeys import demo_entries
from tests.e2e.portal_pages import (
    LAST,
    PUBLIC_PAGES,
    RETURN_URL,
    REVIEW_CODE,
    SHEET_URL,
    log_in_as,
    return_with_error,
    sheet_with_error,
    submit_empty_objection,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
AXE = Axe()
VIEWPORT = {"width": 1280, "height": 900}  # the e2e `page` fixture's

# Roles a person operates: each needs a name that a screen reader can say.
CONTROL_ROLES = {
    "button",
    "checkbox",
    "combobox",
    "link",
    "listbox",
    "radio",
    "searchbox",
    "slider",
    "spinbutton",
    "switch",
    "textbox",
}

HEADING_LEVELS = """() => Array.from(document.querySelectorAll(
    'h1, h2, h3, h4, h5, h6, [role="heading"]'))
  .filter((h) => h.checkVisibility())
  .map((h) => Number(h.getAttribute('aria-level') || h.tagName.slice(1)))"""

# What has the focus, and whether a sighted keyboard user can see where it is.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    && style.outlineColor !== 'rgba(0, 0, 0, 0)';
  return {
    key: el.id || (el.tagName === 'BUTTON' ? `button${el.value ? '=' + el.value : ''}` : '')
      || el.getAttribute('name') || el.className || el.tagName,
    focusVisible: el.matches(':focus-visible'),
    styled: outline || style.boxShadow !== 'none',
    inViewport: (() => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
        && r.bottom <= innerHeight && r.right <= innerWidth;
    })(),
    inMain: !!el.closest('main'),
  };
}"""

# Sequential focus navigation from the start of the document, whatever has the focus now.
TOP_OF_PAGE = """() => {
  const root = document.documentElement;
  root.tabIndex = -1;
  root.focus({preventScroll: true});
  root.removeAttribute('tabindex');
  window.scrollTo(0, 0);
}"""

# The form's controls a keyboard user should meet, in document order.
FORM_CONTROLS = """(form) => Array.from(form.querySelectorAll('input, select, textarea, button'))
  .filter((el) => el.type !== 'hidden' && !el.disabled && el.tabIndex >= 0
    && el.checkVisibility())
  .map((el) => el.id || (el.tagName === 'BUTTON' ? `button${el.value ? '=' + el.value : ''}` : '')
    || el.getAttribute('name') || el.className || el.tagName)"""


@pytest.fixture
def demo(live_server):
    portal_pages.load_demo()


@pytest.fixture(params=["zh-hans", "en"])
def language(request, page, live_server):
    """The page in each of the portal's languages: Chinese (the browser's zh-CN) and English
    (the cookie the language switcher sets). Returns the value <html lang> must have."""
    if request.param == "en":
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )
        return "en"
    return "zh-Hans"


# WCAG 3.1.2 Language of Parts: every visible text with Chinese characters on a page in
# another language sits in an element whose lang is Chinese. Returns "tag: text" for those
# that do not.
UNMARKED_CHINESE = """() => {
  const cjk = /[\u3400-\u9fff\uf900-\ufaff]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const offenders = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!cjk.test(node.data) || !el || !el.checkVisibility()) continue;
    if (el.closest('script, style, template')) continue;
    const lang = el.closest('[lang]')?.getAttribute('lang') || '';
    if (!lang.toLowerCase().startsWith('zh')) {
      offenders.push(`${el.tagName.toLowerCase()}: ${node.data.trim().slice(0, 40)}`);
    }
  }
  return offenders;
}"""


def axe_violations(page, name):
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{name}: axe {violation['id']} ({violation['impact']}) at "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        for violation in results["violations"]
    ]


def heading_problems(page, name):
    levels = page.evaluate(HEADING_LEVELS)
    problems = []
    if levels.count(1) != 1 or levels[0] != 1:
        problems.append(f"{name}: headings {levels}: want exactly one h1, first")
    for before, after in itertools.pairwise(levels):
        if after > before + 1:
            problems.append(f"{name}: headings {levels}: h{before} followed by h{after}")
    return problems


def unnamed_controls(page, name):
    """Controls without an accessible name, as Chromium computes it for screen readers."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [
        f"{name}: {node['role']['value']} without an accessible name"
        for node in nodes
        if not node.get("ignored")
        and node.get("role", {}).get("value") in CONTROL_ROLES
        and not node.get("name", {}).get("value", "").strip()
    ]


def skip_link_problems(page, name):
    """From the top of the page (before any autofocused field, as after a click there): the
    first Tab shows the skip link, Enter moves the focus to the main content, and the next
    Tab stays in it."""
    page.evaluate(TOP_OF_PAGE)
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    problems = []
    if first["key"] != "skip-link" or not first["inViewport"] or not first["styled"]:
        problems.append(f"{name}: the first Tab stop is not a visible skip link: {first}")
        return problems
    page.keyboard.press("Enter")
    if page.evaluate("() => document.activeElement.id") != "main":
        problems.append(f"{name}: the skip link does not move the focus to <main>")
    page.keyboard.press("Tab")
    if not page.evaluate(FOCUSED)["inMain"]:
        problems.append(f"{name}: after the skip link, Tab leaves the main content")
    return problems


def reflow_problems(page, name):
    """WCAG 1.4.10: at 320 CSS pixels wide (1280 at 400 % zoom) the page does not scroll
    sideways; only a wide table scrolls, inside its own region."""
    page.set_viewport_size({"width": 320, "height": 800})
    try:
        width = page.evaluate("() => document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(VIEWPORT)
    return [f"{name}: {width}px wide in a 320px window"] if width > 320 else []


def unmarked_chinese(page, name, lang):
    """On a page not in Chinese, Chinese text not marked as such (WCAG 3.1.2)."""
    if lang.startswith("zh"):
        return []
    return [f"{name}: Chinese without lang: {text}" for text in page.evaluate(UNMARKED_CHINESE)]


def page_problems(page, name, lang):
    problems = axe_violations(page, name)
    if page.locator("html").get_attribute("lang") != lang:
        problems.append(f"{name}: <html lang> is not {lang}")
    problems += unmarked_chinese(page, name, lang)
    problems += heading_problems(page, name)
    problems += unnamed_controls(page, name)
    problems += skip_link_problems(page, name)
    problems += reflow_problems(page, name)
    return problems


def test_pages_meet_wcag_21_aa(page, language, demo):
    problems = []
    announced = announce_with_a_file()
    for name, path in PUBLIC_PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        problems += page_problems(page, name, language)
    problems += announcement_problems(page, language, announced)
    problems += statistics_problems(page, language)

    submit_empty_objection(page)
    problems += page_problems(page, "objection-form-with-errors", language)

    log_in_as(page, "demo_clerk")
    assert page.goto(RETURN_URL).status == 200
    problems += page_problems(page, "return-form", language)
    return_with_error(page)
    problems += page_problems(page, "return-form-with-errors", language)
    problems += workplace_problems(page, "clerk", language)
    problems += record_problems(page, language, RECORD_PAGES)

    log_in_as(page, "demo_county")
    problems += workplace_problems(page, "county", language)
    problems += county_announcement_problems(page, language, announced)
    problems += statistics_problems(page, language, county=True)
    problems += record_problems(page, language, [("record-honours", RECORD + "edit/honours/")])

    log_in_as(page, "demo_judge")
    problems += workplace_problems(page, "judge", language)
    assert page.goto(SHEET_URL).status == 200
    problems += page_problems(page, "score-sheet", language)
    sheet_with_error(page)
    problems += page_problems(page, "score-sheet-with-errors", language)

    assert problems == [], "\n".join(problems)


def workplace_problems(page, role, language):
    """The role's to-do list and, for staff who keep records, the reports' index."""
    problems = []
    paths = [("todo", "/manage/todo/")] + (
        [] if role == "judge" else [("reports", "/manage/reports/")]
    )
    for name, path in paths:
        assert page.goto(path).status == 200, path
        problems += page_problems(page, f"{name}-{role}", language)
    return problems


def statistics_problems(page, language, *, county=False):
    """The published reports (统计信息): their list and the demo's yearly report; for county
    staff, the reports to build and the circular with its publishing form."""
    yearly = Publication.objects.get(kind=Kind.YEARLY)
    paths = (
        [("statistics-county", "/manage/statistics/"), ("circular", "/manage/statistics/circular/")]
        if county
        else [("statistics", "/statistics/"), ("yearly-report", yearly.get_absolute_url())]
    )
    problems = []
    for name, path in paths:
        assert page.goto(path).status == 200, path
        problems += page_problems(page, name, language)
    return problems


def announce_with_a_file():
    """An announcement of today with a file attached (the demo's have none)."""
    return announcements.announcement_create(
        title="关于开展社区走访慰问活动的通知",
        body="各社区居委会：\n\n请于本月底前完成走访。\n\n淳安县民政局",
        published_on=timezone.localdate(),
        upload=SimpleUploadedFile("走访名单.pdf", b"%PDF-1.4\n%%EOF\n"),
        by=get_user_model().objects.get(username="demo_county"),
    )


def announcement_problems(page, language, announced):
    """The public announcements: their list, and one's page with its attachment."""
    problems = []
    for name, path in [
        ("announcements", "/announcements/"),
        ("announcement", announced.get_absolute_url()),
    ]:
        assert page.goto(path).status == 200, path
        problems += page_problems(page, name, language)
    return problems


def county_announcement_problems(page, language, announced):
    """County staff's announcement pages: their list, the form (empty, then sent without a
    title: its errors), an announcement's form and its withdrawal's confirmation."""
    problems = []
    for name, path in [
        ("announcements-county", "/manage/announcements/"),
        ("announcement-new", "/manage/announcements/new/"),
        ("announcement-edit", f"/manage/announcements/{announced.pk}/edit/"),
        ("announcement-withdraw", f"/manage/announcements/{announced.pk}/withdraw/"),
    ]:
        assert page.goto(path).status == 200, path
        problems += page_problems(page, name, language)
    page.goto("/manage/announcements/new/")
    page.locator("form.announcement-form button[type='submit']").click()
    page.locator("#error-summary").wait_for()
    problems += page_problems(page, "announcement-new-with-errors", language)
    problems += error_problems(page, "id_title")
    return problems


def error_problems(page, field_id):
    """The field's error is announced: it is marked invalid, described by the error text, and
    the error summary (a live alert) links to it."""
    field = page.locator(f"#{field_id}")
    problems = []
    if field.get_attribute("aria-invalid") != "true":
        problems.append(f"#{field_id} is not aria-invalid")
    described_by = (field.get_attribute("aria-describedby") or "").split()
    error_id = f"{field_id}_error"
    if error_id not in described_by:
        problems.append(f"#{field_id} is not described by #{error_id}: {described_by}")
    elif not page.locator(f"#{error_id}").inner_text().strip():
        problems.append(f"#{error_id} is empty")
    summary = page.locator("#error-summary")
    if summary.get_attribute("role") != "alert":
        problems.append("the error summary is not role=alert")
    if summary.locator(f"a[href='#{field_id}']").count() != 1:
        problems.append(f"the error summary does not link to #{field_id}")
    return problems


def walk_form(page, form_selector, type_into=None):
    """Tab from the top of the page (skip link, Enter, then on) through the form and out of
    it; at each stop in the form the focus must be visible. `type_into(key)` gives what to
    type where the focus is (None: nothing). Returns the keys of the stops in the form."""
    form = page.locator(form_selector)
    expected = form.evaluate(FORM_CONTROLS)
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["key"] == "skip-link"
    page.keyboard.press("Enter")
    stops = []
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        inside = form.evaluate("(form) => form.contains(document.activeElement)")
        if stops and not inside:
            break
        if inside:
            assert focused["focusVisible"] and focused["styled"], focused
            stops.append(focused["key"])
            text = type_into(focused["key"]) if type_into else None
            if text is not None:
                page.keyboard.press("Control+a")
                page.keyboard.type(text)
            if focused["key"] == expected[-1]:
                break
    assert stops == expected
    return stops


def test_return_form_by_keyboard_only(page, demo):
    log_in_as(page, "demo_clerk")
    page.goto(RETURN_URL)
    figures = page.locator(".return-table input[type='number']")
    first_id = figures.first.get_attribute("id")
    minimum = int(float(figures.first.get_attribute("min")))
    entries = demo_entries("xiyuan", LAST)

    # Every figure as the demo's return has it, the first below its minimum; Enter on
    # "Save draft".
    def figure(key):
        return str(minimum - 1) if key == first_id else entries.get(key)

    stops = walk_form(page, "form.return-entry", figure)
    assert stops[-2:] == ["button=save", "button=submit"]
    assert len(stops) == 2 * figures.count() + 2  # each row: its figure, then its comment
    page.keyboard.press("Shift+Tab")
    expect(page.locator("button[value='save']")).to_be_focused()
    page.keyboard.press("Enter")

    # The focus is on the error summary, which a screen reader reads out; its link takes the
    # focus to the field. Corrected, Tab on to Submit, Enter.
    expect(page.locator("#error-summary")).to_be_focused()
    assert error_problems(page, first_id) == []
    assert not MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST).exists()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{first_id}")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type(entries[first_id])
    submit = page.locator("button[value='submit']")
    for _ in range(2 * figures.count() + 2):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.value === 'submit'"):
            break
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#read-only-reason")).to_be_visible()
    monthly_return = MonthlyReturn.objects.get(community__code="xiyuan", period=LAST)
    assert monthly_return.status == ReturnStatus.SUBMITTED


def test_score_sheet_by_keyboard_only(page, demo):
    log_in_as(page, "demo_judge")
    page.goto(SHEET_URL)
    points = page.locator(".score-sheet input[type='number']")
    ids = [points.nth(n).get_attribute("id") for n in range(points.count())]
    assert len(ids) == 2

    # Over the maximum in the first field, nothing in the second; Enter on the button.
    stops = walk_form(page, "form.score-sheet", lambda key: "999" if key == ids[0] else None)
    assert stops == [*ids, "id_abstain", "button"]
    page.keyboard.press("Enter")

    expect(page.locator("#error-summary")).to_be_focused()
    for field_id in ids:
        assert error_problems(page, field_id) == []
    assert not ScoreSheet.objects.filter(declaration__round__code=REVIEW_CODE).exists()

    # From the summary's first link to the first field; both corrected; Enter in the last
    # field saves the sheet.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{ids[0]}")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("15")
    page.keyboard.press("Tab")
    expect(page.locator(f"#{ids[1]}")).to_be_focused()
    page.keyboard.type("15")
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_be_visible()
    sheet = ScoreSheet.objects.get(
        judge__username="demo_judge", declaration__round__code=REVIEW_CODE
    )
    assert [score.points for score in sheet.scores.all()] == [Decimal(15), Decimal(15)]


# The record of 西园 (issue 14): the workspace page, the clerk's record pages and the change
# history; the honours are the township's and the county's.
RECORD = "/manage/communities/xiyuan/"
RECORD_PAGES = [
    ("record-workspace", RECORD),
    *(
        (f"record-{section}", f"{RECORD}edit/{section}/")
        for section in ("basic", "facilities", "bodies", "branches", "pairings")
    ),
    ("record-changes", f"{RECORD}changes/"),
]


def record_problems(page, language, pages):
    """The record pages; with the basic information's, that page sent with a wrong
    telephone number (its errors)."""
    problems = []
    for name, path in pages:
        assert page.goto(path).status == 200, path
        problems += page_problems(page, name, language)
    if any(name == "record-basic" for name, _path in pages):
        page.goto(f"{RECORD}edit/basic/")
        page.locator("#id_office_phone").fill("12345")
        page.locator("main form[method='post'] button[type='submit']").click()
        page.locator("#error-summary").wait_for()
        problems += page_problems(page, "record-basic-with-errors", language)
        problems += error_problems(page, "id_office_phone")
    return problems
