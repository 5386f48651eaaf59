"""The services' part of a person's to-do list (chunan_community.worklist): the county
departments' admission requests (社区准入) waiting for a decision."""

import datetime

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chunan_community.worklist import Task, Work, work_from
from services.models import AdmissionRequest
from services.permissions import may_change


def services_work(user, access, today: datetime.date) -> list[Work]:
    if not may_change(user, AdmissionRequest):
        return []
    waiting = AdmissionRequest.objects.filter(status=AdmissionRequest.Status.SUBMITTED).order_by(
        "received_on", "pk"
    )
    return [
        work_from(
            waiting,
            _decision,
            kind="services.admission",
            heading=_("Admission requests to decide"),
            all_url=reverse("services:admission_list"),
        )
    ]


def _decision(request) -> Task:
    received = request.received_on
    return Task(
        what=_("Decide the request of %(department)s") % {"department": request.department},
        url=reverse("services:admission_detail", args=[request.pk]),
        note=_("Received on %(date)s") % {"date": date_format(received, "DATE_FORMAT")}
        if received
        else "",
    )
