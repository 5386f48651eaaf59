from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from chunan_community.public_cache import public_page
from communities.models import Community
from communities.queries import county_overview, townships_with_communities


@require_safe
@public_page
def home(request):
    """The public county overview: townships, their communities, the county's counts."""
    townships, totals = county_overview()
    return render(
        request,
        "home.html",
        {
            "townships": townships,
            "totals": totals,
            "by_township": townships_with_communities(Community.objects.public()),
        },
    )


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers a query, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok"})
