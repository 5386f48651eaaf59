"""/healthz, which the reverse proxy, load balancers and monitoring poll."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_database_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_head_ok(client):
    response = client.head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


def test_healthz_database_down_503(client):
    # Django's own connection fails, as it does when PostgreSQL is unreachable.
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "database": "down"}


def test_healthz_post_not_allowed(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_exempt_from_ssl_redirect(client):
    # A load balancer polls over plain http inside the network; everything else redirects.
    other = client.get("/communities/")
    response = client.get("/healthz")

    assert other.status_code == 301
    assert other["Location"] == "https://testserver/communities/"
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
