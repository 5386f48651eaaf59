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
