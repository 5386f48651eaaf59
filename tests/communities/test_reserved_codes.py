"""A community's code is part of its addresses: it cannot be a word the portal's own pages
use at the same place (/services/reports/ beside /services/<community>/)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve

from communities.validators import RESERVED_COMMUNITY_CODES
from tests.factories import make_community

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", RESERVED_COMMUNITY_CODES)
def test_a_reserved_word_is_refused_as_a_community_code(tree, code):
    community = make_community(township=tree["north"], code="fresh")
    community.code = code

    with pytest.raises(ValidationError) as refused:
        community.full_clean()

    assert refused.value.error_dict["code"][0].code == "reserved"


@pytest.mark.parametrize("code", RESERVED_COMMUNITY_CODES)
def test_each_reserved_word_is_a_page_of_its_own(code):
    """The list is exactly the pages that would shadow a community's services pages."""
    assert resolve(f"/services/{code}/").url_name != "community"


def test_an_ordinary_code_is_accepted(tree):
    make_community(township=tree["north"], code="xiyuan").full_clean()
