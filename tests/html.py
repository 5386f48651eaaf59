"""Reading rendered pages in tests: the text of each table, cell by cell."""

from html.parser import HTMLParser


class _TableReader(HTMLParser):
    """Collects the text of each row of each table, one string per cell."""

    def __init__(self):
        super().__init__()
        self.tables, self._section, self._row, self._cell = [], None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"thead": [], "tbody": [], "tfoot": []})
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][self._section].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response):
    """[{"thead": rows, "tbody": rows, "tfoot": rows}, …], a row being a list of cell texts."""
    reader = _TableReader()
    reader.feed(response.content.decode())
    return reader.tables


def soup(response):
    """The page as a BeautifulSoup tree, to select elements with CSS selectors."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.content.decode(), "html.parser")


def error_summary_at_top(response):
    """A refused form's error summary, [(href or None, text), …] an item each, checking that
    it opens the page: straight under its <h1> (the only heading before it), an alert that
    takes the focus."""
    heading = soup(response).select_one("main h1")
    summary = heading.find_next_sibling()
    assert summary.get("id") == "error-summary", f"<h1> is followed by {summary}"
    assert (summary.get("role"), summary.has_attr("autofocus")) == ("alert", True)
    items = []
    for item in summary.select("li"):
        link = item.find("a")
        items.append((link["href"] if link else None, " ".join(item.text.split())))
    return items
