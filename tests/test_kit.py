"""The shared kit's one place for each rule: shares (figures.Percent), the pager of a page with
several lists (paging.pager), a domain error onto a form and a download's 400 (errors)."""

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.test import RequestFactory
from django.utils import translation

from chunan_community import charts
from chunan_community.errors import add_domain_errors, error_summary, errors_response
from chunan_community.figures import Percent, cell_csv, cell_xlsx, plain_number
from chunan_community.paging import pager, paginate


def test_percent_rounds_half_up_and_adds_counts():
    total = Percent(1, 2) + Percent(1, 1)

    assert total == Percent(2, 3)
    assert str(total) == "67%"
    assert str(Percent()) == "—"
    assert total.fraction == pytest.approx(2 / 3)


def test_export_numbers_drop_trailing_zeros():
    assert plain_number(Decimal("12.50")) == "12.5"
    assert plain_number(Decimal("1200.00")) == "1200"
    assert plain_number(None) == ""
    assert cell_csv(Decimal("3.10")) == "3.1"
    assert cell_xlsx(Decimal("7.00")) == (7, None)
    assert cell_xlsx(Percent(1, 4)) == (0.25, "0%")


def test_pager_shows_the_ends_and_two_either_side_and_keeps_the_query():
    request = RequestFactory().get("/", {"q": "x", "rows_page": "10"})
    page = paginate(request, range(400), "rows_page", per_page=20)

    shown = pager(request, page, "rows_page", "rows")

    assert [link.get("number", "…") for link in shown.links] == [1, "…", 8, 9, 10, 11, 12, "…", 20]
    assert shown.previous_url == "?q=x&rows_page=9#rows"
    assert shown.first_url == "?q=x&rows_page=1#rows"
    assert shown.last_url == "?q=x&rows_page=20#rows"
    assert [link["number"] for link in shown.links if link.get("current")] == [10]


def test_pager_of_the_first_page_has_no_way_back():
    request = RequestFactory().get("/", {"page": "oops"})
    page = Paginator(range(3), 2).get_page(request.GET.get("page"))

    shown = pager(request, page, "page", "list")

    assert [link["number"] for link in shown.links] == [1, 2]
    assert (shown.first_url, shown.previous_url) == (None, None)
    assert shown.next_url == "?page=2#list"


class PlaceForm(forms.Form):
    name = forms.CharField()
    code = forms.CharField()


def test_a_domain_error_goes_on_its_field_or_above_the_form():
    form = PlaceForm({"name": "x", "code": "y"})
    assert form.is_valid()

    add_domain_errors(form, ValidationError({"code": "Taken.", "township": "Closed."}))

    assert form.errors == {"code": ["Taken."], "__all__": ["Closed."]}


def test_error_summary_lists_the_fields_in_the_forms_order():
    form = PlaceForm({"name": "x", "code": "y"})
    assert form.is_valid()
    form.add_error("code", "Taken.")
    form.add_error("name", "Too short.")

    with translation.override("en"):
        texts = [item["text"] for item in error_summary(form)]

    assert texts == ["Name: Too short.", "Code: Taken."]


def test_a_download_with_a_bad_filter_says_what_is_wrong_in_plain_text():
    form = PlaceForm({"name": "x"})
    assert not form.is_valid()

    with translation.override("en"):
        response = errors_response(form)
        empty = errors_response(PlaceForm({"name": "x", "code": "y"}), otherwise="Choose.")

    assert (response.status_code, response["Content-Type"]) == (400, "text/plain")
    assert response.content.decode() == "code: This field is required."
    assert empty.content.decode() == "Choose."


def test_area_series_draws_one_area_each_area_or_the_total():
    one = [charts.Series("North", [1, 2])]
    many = [charts.Series(f"T{n}", [n, n]) for n in range(charts.MAX_SERIES + 1)]

    assert charts.area_series(one, [1, 2]) == [charts.Series("North", [1, 2])]
    assert charts.area_series(many[:2], [1, 3]) == many[:2]
    with translation.override("en"):
        assert charts.area_series(many, [9, 9]) == [charts.Series("Total", [9, 9])]
