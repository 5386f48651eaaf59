"""Every page prints as a plain document: no navigation, language switcher, skip link, buttons
or forms (except a form that is itself the document: the monthly return, the score sheet),
nothing wider than the A4 sheet's printable width, dark text on white; and Chromium's PDF of
the public notice (公示) is one A4 sheet for the county's ten communities.
"""

import re

import pytest
from django.conf import settings

from tests.e2e import portal_pages
from tests.e2e.portal_pages import (
    NOTICE_URL,
    PUBLIC_PAGES,
    RETURN_URL,
    SHEET_URL,
    log_in_as,
    return_with_error,
    sheet_with_error,
    submit_empty_objection,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PX_PER_MM = 96 / 25.4
# A4 is 210 mm wide; portal.css prints with 12 mm side margins, notice.css with 18 mm.
PRINTABLE_WIDTH = round((210 - 2 * 12) * PX_PER_MM)  # 703 px
NOTICE_WIDTH = round((210 - 2 * 18) * PX_PER_MM)  # 658 px

# How many A4 sheets a page may take with the demo data (3 unless listed): a page that
# suddenly prints on many more has lost its print layout.
MAX_SHEETS = {
    "notice": 1,
    "profile": 5,
    "return-form": 4,
    "return-form-with-errors": 4,
    # The county's yearly report: every section and indicator, as sent to the city.
    "yearly-report": 12,
    "circular": 4,
}

# Everything that must not reach the paper, and what the page shows of it in print.
PRINT_PROBLEMS = """([width, keep]) => {
  const shown = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const kept = (el) => keep !== null && el.closest(keep) !== null;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const problems = [];
  for (const el of document.querySelectorAll('.skip-link, nav, .lang-switch, button')) {
    if (shown(el)) problems.push(`${name(el)} is printed`);
  }
  for (const el of document.querySelectorAll('form, input:not([type=hidden]), select, textarea')) {
    if (shown(el) && !kept(el)) problems.push(`${name(el)} is printed`);
  }
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map((c) => {
      const s = Number(c) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const transparent = (colour) => colour === 'rgba(0, 0, 0, 0)' || /, 0\\)$/.test(colour);
  for (const el of document.querySelectorAll('body, body *')) {
    if (el.closest('svg') || !shown(el)) continue;
    const style = getComputedStyle(el);
    const right = el.getBoundingClientRect().right;
    if (right > width + 0.5) problems.push(`${name(el)} reaches ${Math.round(right)}px`);
    if (!transparent(style.backgroundColor) && luminance(style.backgroundColor) < 0.95) {
      problems.push(`${name(el)} has a ${style.backgroundColor} background`);
    }
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) {
      problems.push(`${name(el)} has an outline`);
    }
    const text = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    // Dark: at least 15:1 against white (#000 is 21:1, the screen's --ink 16:1).
    if (text && 1.05 / (luminance(style.color) + 0.05) < 15) {
      problems.push(`${name(el)} has ${style.color} text`);
    }
  }
  return problems;
}"""


@pytest.fixture
def demo(live_server):
    portal_pages.load_demo()


@pytest.fixture(params=["zh-hans", "en"])
def language(request, page, live_server):
    if request.param == "en":
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )
    return request.param


def print_problems(page, name, width=PRINTABLE_WIDTH, keep=None):
    """Problems of the current page printed on a sheet `width` pixels wide (`keep` selects
    the form that is the document itself), and of Chromium's PDF of it on A4."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.emulate_media(media="print")
    try:
        problems = [
            f"{name}: {problem}" for problem in page.evaluate(PRINT_PROBLEMS, [width, keep])
        ]
    finally:
        page.emulate_media(media="no-override")
    sheets = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
    if not 1 <= sheets <= MAX_SHEETS.get(name, 3):
        problems.append(f"{name}: prints on {sheets} A4 sheets")
    return problems


def pdf_pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF-")
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_pages_print_as_plain_documents(page, language, demo):
    problems = []
    for name, path in [*PUBLIC_PAGES, ("commendations-print", "/services/commendations/print/")]:
        assert page.goto(path).status == 200, path
        width = NOTICE_WIDTH if path == NOTICE_URL else PRINTABLE_WIDTH
        problems += print_problems(page, name, width)

    submit_empty_objection(page)
    problems += print_problems(page, "objection-form-with-errors")

    log_in_as(page, "demo_clerk")
    page.goto(RETURN_URL)
    problems += print_problems(page, "return-form", keep="form.return-entry")
    return_with_error(page)
    problems += print_problems(page, "return-form-with-errors", keep="form.return-entry")

    log_in_as(page, "demo_judge")
    page.goto(SHEET_URL)
    problems += print_problems(page, "score-sheet", keep="form.score-sheet")
    sheet_with_error(page)
    problems += print_problems(page, "score-sheet-with-errors", keep="form.score-sheet")

    assert problems == [], "\n".join(problems)


def test_notice_pdf_is_one_a4_sheet(page, demo):
    page.goto(NOTICE_URL)
    rows = page.locator(".notice-table tbody tr")
    assert rows.count() == 10

    pdf = page.pdf(prefer_css_page_size=True, print_background=True)

    assert pdf_pages(pdf) == 1
    # A4 portrait, as notice.css's @page asks: 210 by 297 mm is 595 by 842 pt.
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert (round(float(box[1])), round(float(box[2]))) == (595, 842)
