"""The services' part of a person's to-do list (chunan_community.worklist): the county
departments' admission requests (社区准入) waiting for a decision."""

import datetime

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chunan_community.worklist import Task, Work, first_shown
from services.models import AdmissionRequest
from services.permissions import may_change


def services_work(user, access, today: datetime.date) -> list[Work]:
    if not may_change(user, AdmissionRequest):
        return []
    waiting = AdmissionRequest.objects.filter(status=AdmissionRequest.Status.SUBMITTED).order_by(
        "received_on", "pk"
    )
    total, requests = first_shown(waiting)
    return [
        Work(
            kind="services.admission",
            heading=_("Admission requests to decide"),
            total=total,
            tasks=tuple(
                Task(
                    what=_("Decide the request of %(department)s")
                    % {"department": request.department},
                    url=reverse("services:admission_detail", args=[request.pk]),
                    note=_("Received on %(date)s")
                    % {"date": date_format(request.received_on, "DATE_FORMAT")}
                    if request.received_on
                    else "",
                )
                for request in requests
            ),
            all_url=reverse("services:admission_list"),
        )
    ]
