from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from chunan_community.paging import paginate
from chunan_community.public_cache import public_page
from communities.models import Community
from communities.queries import county_overview, townships_with_communities
from portal.announcements import latest_public
from ratings.objections import open_notices
from reports.publishing import latest_public as latest_reports

# Under each township on the home page: its first communities, then a link to all of them
# in the directory. With the townships paged, the page stays the same size at any scale.
COMMUNITIES_PER_TOWNSHIP = 12


@require_safe
@public_page
def home(request):
    """The public county overview: the rounds under public notice and the newest
    announcements and reports at the top, the county's counts, and a page of townships with their
    figures and first communities (the directory lists them all)."""
    townships, totals = county_overview()
    today = timezone.localdate()
    # A few hundred short rows, already read for the totals' sake: paged here, not in SQL,
    # which would aggregate every community twice more (the count, then the page).
    page = paginate(request, townships)
    return render(
        request,
        "home.html",
        {
            "page": page,
            "townships": townships_with_communities(
                page.object_list,
                Community.objects.public(),
                per_township=COMMUNITIES_PER_TOWNSHIP,
            ),
            "totals": totals,
            # Rounds under public notice (公示): the public may send opinions until it ends.
            "notices": list(open_notices(today)),
            # The county's newest announcements (通知公告), one query however many there are.
            "announcements": latest_public(today),
            # The newest published reports (统计信息), one query.
            "reports": latest_reports(today),
        },
    )


@login_not_required
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
