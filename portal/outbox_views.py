"""The outbox for county staff (发件箱): every e-mail and text message the portal wrote,
whether it went out, how often it was tried and why it failed; a failed one can be sent
again. A password link's text is never shown (Delivery.sensitive)."""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from chunan_community.paging import paginate
from communities.access import access_for
from notifications import outbox
from notifications.models import Channel, Delivery, DeliveryStatus, Kind


class OutboxFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=DeliveryStatus.choices,
        empty_label=gettext_lazy("All"),
    )
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Channel"), choices=Channel.choices, empty_label=gettext_lazy("All")
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Kind"), choices=Kind.choices, empty_label=gettext_lazy("All kinds")
    )
    to = django_filters.CharFilter(
        label=pgettext_lazy("recipient", "To"), lookup_expr="icontains", widget=forms.TextInput()
    )

    class Meta:
        model = Delivery
        fields = ["status", "channel", "kind", "to"]


def _county(user) -> None:
    if not access_for(user).is_county:
        raise PermissionDenied


@login_required
@require_safe
def outbox_list(request):
    _county(request.user)
    filterset = OutboxFilter(request.GET, queryset=Delivery.objects.defer("body"))
    counts = Delivery.objects.aggregate(
        **{status.value: Count("pk", filter=Q(status=status)) for status in DeliveryStatus}
    )
    return render(
        request,
        "portal/manage/outbox.html",
        {"filter": filterset, "page": paginate(request, filterset.qs), "counts": counts},
    )


@login_required
@require_safe
def outbox_detail(request, pk):
    _county(request.user)
    delivery = get_object_or_404(Delivery, pk=pk)
    return render(request, "portal/manage/outbox_detail.html", {"delivery": delivery})


@login_required
@require_POST
def outbox_retry(request, pk):
    _county(request.user)
    delivery = get_object_or_404(Delivery, pk=pk)
    if delivery.status != DeliveryStatus.FAILED:
        messages.error(request, _("Only a message that failed can be sent again."))
    else:
        outbox.retry(delivery)
        messages.success(request, _("The message is queued to be sent again."))
    return redirect("portal:outbox_detail", pk=pk)
