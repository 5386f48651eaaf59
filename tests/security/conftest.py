import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

# Generated input for the portal's forms (tests/security/test_bad_input.py). Reproducible in
# CI: the examples follow from the test's code (derandomize), no example database is kept
# between runs, and a slow page is not a failure (deadline). A deeper search on demand:
#   CHUNAN_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/security/test_bad_input.py
settings.register_profile(
    "security",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("CHUNAN_FUZZ_EXAMPLES", "25")),
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture
def lenient_client():
    """A client that answers like the server does: an exception in a view is a 500 response
    (with `exc_info` kept for the message), not an exception in the test."""
    return Client(raise_request_exception=False)
