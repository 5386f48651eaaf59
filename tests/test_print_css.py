"""Every print view is laid out for A4, the county's paper: each @page rule of the portal's
style sheets names the size, so that no browser falls back to Letter and clips the right edge
(the time-bank statement and the tasks print came out as Letter)."""

import re
from pathlib import Path

from django.conf import settings

CSS = Path(settings.BASE_DIR) / "static" / "css"
PAGE_RULE = re.compile(r"@page\s*\{([^}]*)\}")
A4 = re.compile(r"size:\s*A4(\s+(portrait|landscape))?\s*;")


def test_every_page_rule_sets_a4():
    rules = {
        f"{path.name}#{number}": body
        for path in sorted(CSS.glob("*.css"))
        for number, body in enumerate(PAGE_RULE.findall(path.read_text()), start=1)
    }

    assert "portal.css#1" in rules  # the rule every page prints with
    assert {name: bool(A4.search(body)) for name, body in rules.items()} == dict.fromkeys(
        rules, True
    )
