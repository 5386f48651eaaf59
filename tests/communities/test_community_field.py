"""communities.forms.CommunityField: a community picker whose size does not grow."""

import pytest
from django import forms
from django.utils import translation

from communities.forms import HIDDEN, SEARCH, SELECT, SELECT_MAX, CommunityField
from communities.models import Community
from tests.factories import make_community, make_township

pytestmark = pytest.mark.django_db


class PickForm(forms.Form):
    community = CommunityField(search=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].set_scope(scope)


class FilterForm(PickForm):
    community = CommunityField(required=False)


def communities(count):
    township = make_township(code="many")
    return Community.objects.bulk_create(
        Community(
            township=township,
            code=f"c{n:03d}",
            name=f"社区{n:03d}",
            name_en=f"Community {n:03d}",
            founded_year=2002,
        )
        for n in range(count)
    )


@pytest.mark.parametrize(
    ("count", "mode", "widget"),
    [
        (1, HIDDEN, forms.HiddenInput),
        (2, SELECT, forms.Select),
        (SELECT_MAX, SELECT, forms.Select),
        (SELECT_MAX + 1, SEARCH, forms.TextInput),
    ],
)
def test_community_field_mode_follows_the_size_of_the_scope(count, mode, widget):
    communities(count)

    field = PickForm(scope=Community.objects.all()).fields["community"]

    assert (field.mode, type(field.widget)) == (mode, widget)


def test_community_field_reads_the_scope_in_one_bounded_query(django_assert_num_queries):
    communities(SELECT_MAX + 30)

    with django_assert_num_queries(1) as captured:
        PickForm(scope=Community.objects.all())

    assert captured.captured_queries[0]["sql"].endswith(f"LIMIT {SELECT_MAX + 1}")


def test_community_field_select_labels_follow_the_language():
    communities(2)

    with translation.override("en"):
        english = PickForm(scope=Community.objects.all()).fields["community"].widget.choices
    chinese = PickForm(scope=Community.objects.all()).fields["community"].widget.choices

    assert english == [("", "---------"), ("c000", "Community 000"), ("c001", "Community 001")]
    assert chinese[1:] == [("c000", "社区000"), ("c001", "社区001")]


def test_community_field_required_choice_of_one_community_is_that_one():
    (only,) = communities(1)

    form = PickForm({}, scope=Community.objects.all())

    assert form.is_valid()
    assert form.cleaned_data["community"] == only


def test_community_field_hidden_still_checks_a_code():
    communities(1)
    other = make_community(code="other")

    form = PickForm({"community": other.code}, scope=Community.objects.filter(code="c000"))

    with translation.override("en"):
        errors = {name: list(messages) for name, messages in form.errors.items()}
    assert errors == {
        "community": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_community_field_search_prefers_the_exact_code():
    found = communities(SELECT_MAX + 1)
    # "c01" is also part of c010 … c019: the code wins.
    exact = make_community(township=found[0].township, code="c01", name="另一个社区")

    form = FilterForm({"community": "c01"}, scope=Community.objects.all())

    assert form.is_valid()
    assert list(form.cleaned_data["community"]) == [exact]


def test_community_field_filter_empty_is_no_filter():
    communities(SELECT_MAX + 1)

    form = FilterForm({"community": "  "}, scope=Community.objects.all())

    assert form.is_valid()
    assert form.cleaned_data["community"] is None


def test_community_field_search_text_is_bounded():
    communities(SELECT_MAX + 1)

    form = PickForm({"community": "x" * 101}, scope=Community.objects.all())

    with translation.override("en"):
        errors = {name: list(messages) for name, messages in form.errors.items()}
    assert errors == {"community": ["No community in your area has this code or name."]}
