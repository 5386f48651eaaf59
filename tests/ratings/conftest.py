import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture
def english_ui(client):
    """Messages and pages in English, for tests that assert the interface's wording.

    The portal is Chinese first; these tests read the English source text, so the Chinese
    translations can change without breaking them.
    """
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
