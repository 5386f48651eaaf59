import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """These tests assert the English source text of messages; the portal is Chinese first."""
    with translation.override("en"):
        yield
