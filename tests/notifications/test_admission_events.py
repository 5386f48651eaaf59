"""Admission decisions (社区准入) are told: by e-mail to the department's contact address, and
to the inbox of the staff member who recorded the request."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from communities.models import Role
from notifications.models import Delivery, Kind, Message, Profile
from services.admission import admission_submit
from services.models import AdmissionRequest
from tests.factories import make_user
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

DAY = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DEPARTMENT = "县卫生局"
CONTACT = "office@health.example.gov.cn"
TASK = "Check the drinking water of every household once a year."


@pytest.fixture(autouse=True)
def _day():
    with time_machine.travel(DAY, tick=False):
        yield


@pytest.fixture
def recorder(users):
    """The county staff member who records the request; reads English messages."""
    county = users["county"]
    county.email = "county@example.org"
    county.save(update_fields=["email"])
    Profile.objects.create(user=county, language="en")
    return county


@pytest.fixture
def decider(db):
    return make_user(Role.COUNTY, username="county_head", email="head@example.org")


def _record(client, recorder, tree, **overrides):
    """Record a request through the portal's form, as `recorder`."""
    client.force_login(recorder)
    data = {
        "department": DEPARTMENT,
        "contact_email": CONTACT,
        "received_on": "2026-03-02",
        "task": TASK,
        "communities": [str(tree["home"].pk), str(tree["far"].pk)],
    }
    data.update(overrides)
    response = client.post(reverse("services:admission_new"), data)
    assert response.status_code == 302
    return AdmissionRequest.objects.get()


def _zh(msgid: str, **values) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(msgid) % values


def test_approval_reaches_the_department_and_the_recorder(
    client, users, tree, recorder, decider, mailbox
):
    made = _record(client, recorder, tree)
    client.force_login(decider)

    response = client.post(
        reverse("services:admission_approve", kwargs={"pk": made.pk}),
        {"approve-reason": "Funds come from the county's water budget."},
    )

    assert response.status_code == 302
    detail = reverse("services:admission_detail", kwargs={"pk": made.pk})
    [message] = Message.objects.all()
    assert (message.recipient, message.kind, message.url, message.key) == (
        recorder,
        Kind.ADMISSION_DECISION,
        detail,
        f"admission_decision:{made.pk}:approved",
    )
    assert message.subject == f"Admission request of {DEPARTMENT}: approved"
    assert message.body.splitlines() == [
        f"On 10 March 2026 the county decided the request of {DEPARTMENT} to hand this task "
        "to communities (community admission, 社区准入):",
        "",
        TASK,
        "",
        "Decision: approved. The task is admitted to 2 communities.",
        "",
        "Note on the approval:",
        "Funds come from the county's water budget.",
        "",
        "For questions about the decision, ask the county's civil-affairs bureau.",
    ]
    assert mailbox.messages == []

    run_worker()

    [to_department] = mailbox.to(CONTACT)
    assert to_department["Subject"].strip() == _zh(
        "Admission request of %(department)s: approved", department=DEPARTMENT
    )
    text = mailbox.text(to_department)
    assert TASK in text
    assert "Funds come from the county's water budget." in text
    # The department has no account: no link into the portal, nor to preferences.
    assert "http://" not in text
    [to_recorder] = mailbox.to("county@example.org")
    assert to_recorder["Subject"].strip() == f"Admission request of {DEPARTMENT}: approved"
    assert f"http://127.0.0.1:8000{detail}" in mailbox.text(to_recorder)
    assert mailbox.to("head@example.org") == []
    assert len(mailbox.messages) == 2


def test_refusal_tells_the_department_the_reason(client, users, tree, recorder, decider, mailbox):
    made = _record(client, recorder, tree)
    client.force_login(decider)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(
        reverse("services:admission_refuse", kwargs={"pk": made.pk}),
        {"refuse-reason": "No funds follow the task."},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]][-2:] == [
        "Refused, with your reason.",
        f"The decision is e-mailed to the department at {CONTACT}.",
    ]
    delivery = Delivery.objects.get(to=CONTACT)
    assert (delivery.kind, delivery.key, delivery.message) == (
        Kind.ADMISSION_DECISION,
        f"admission_decision:{made.pk}:refused",
        None,
    )
    run_worker()
    [to_department] = mailbox.to(CONTACT)
    assert to_department["Subject"].strip() == _zh(
        "Admission request of %(department)s: refused", department=DEPARTMENT
    )
    assert "No funds follow the task." in mailbox.text(to_department)
    message = Message.objects.get(recipient=recorder)
    assert message.subject == f"Admission request of {DEPARTMENT}: refused"
    assert message.body.splitlines()[4:8] == [
        "Decision: refused. The task is not admitted to the communities.",
        "",
        "Reason for the refusal:",
        "No funds follow the task.",
    ]


def test_a_second_decision_sends_nothing_more(client, users, tree, recorder, decider, mailbox):
    made = _record(client, recorder, tree)
    client.force_login(decider)
    approve = reverse("services:admission_approve", kwargs={"pk": made.pk})
    client.post(approve, {"approve-reason": ""})

    response = client.post(
        reverse("services:admission_refuse", kwargs={"pk": made.pk}), {"refuse-reason": "Too late."}
    )

    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == AdmissionRequest.Status.APPROVED
    assert list(Delivery.objects.filter(to=CONTACT).values_list("key", flat=True)) == [
        f"admission_decision:{made.pk}:approved"
    ]
    assert Message.objects.count() == 1
    run_worker()
    assert len(mailbox.to(CONTACT)) == 1


def test_the_decider_who_recorded_the_request_gets_no_message(
    client, users, tree, recorder, mailbox
):
    made = _record(client, recorder, tree)

    client.post(reverse("services:admission_approve", kwargs={"pk": made.pk}), {})

    assert not Message.objects.exists()
    run_worker()
    assert [m.rcpt_tos for m in mailbox.messages] == [[CONTACT]]


def test_without_a_contact_address_only_the_recorder_is_told(
    client, users, tree, recorder, decider, mailbox
):
    made = _record(client, recorder, tree, contact_email="")
    client.force_login(decider)

    client.post(
        reverse("services:admission_refuse", kwargs={"pk": made.pk}),
        {"refuse-reason": "Not a community's task."},
    )

    assert made.contact_email == ""
    assert Message.objects.get().recipient == recorder
    run_worker()
    assert [m.rcpt_tos for m in mailbox.messages] == [["county@example.org"]]


def test_a_request_recorded_outside_the_portal_tells_the_department_only(
    users, tree, decider, mailbox, client
):
    made = AdmissionRequest.objects.create(
        department=DEPARTMENT, contact_email=CONTACT, task=TASK, received_on=DAY.date()
    )
    made.communities.set([tree["home"]])
    client.force_login(decider)

    client.post(reverse("services:admission_approve", kwargs={"pk": made.pk}), {})

    assert not Message.objects.exists()
    run_worker()
    [mail] = mailbox.messages
    assert mail.rcpt_tos == [CONTACT]
    with translation.override(settings.LANGUAGE_CODE):
        admitted = ngettext(
            "Decision: approved. The task is admitted to %(counter)s community.",
            "Decision: approved. The task is admitted to %(counter)s communities.",
            1,
        ) % {"counter": 1}
    assert admitted in mailbox.text(mail).splitlines()


def test_the_form_keeps_the_contact_address_and_refuses_a_bad_one(client, users, tree, recorder):
    client.force_login(recorder)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    made = _record(client, recorder, tree)
    assert made.contact_email == CONTACT
    edit = reverse("services:admission_edit", kwargs={"pk": made.pk})
    assert client.get(edit).context["form"]["contact_email"].value() == CONTACT

    response = client.post(
        edit,
        {
            "department": DEPARTMENT,
            "contact_email": "office at health",
            "received_on": "2026-03-02",
            "task": TASK,
            "communities": [str(tree["home"].pk)],
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["contact_email"] == [
        "Enter the department's e-mail address, e.g. office@example.gov.cn."
    ]
    made.refresh_from_db()
    assert made.contact_email == CONTACT


def test_a_decision_in_the_admin_is_told_too(client, users, tree, decider, mailbox):
    made = admission_submit(
        department=DEPARTMENT,
        contact_email=CONTACT,
        task=TASK,
        funds_follow=False,
        staff_follow=False,
        authority_follow=False,
        funds_yuan=None,
        communities=[tree["home"]],
        by=users["county"],
    )
    client.force_login(decider)
    url = reverse("admin:services_admissionrequest_change", args=[made.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        status="refused",
        decision_reason="Not a community's task.",
        decided_on="2026-03-10",
        communities=[str(tree["home"].pk)],
        funds_follow="",
        staff_follow="",
        authority_follow="",
        is_sample="",
    )
    data = {key: value for key, value in data.items() if value != ""}

    response = client.post(url, data)

    assert response.status_code == 302
    assert Delivery.objects.get(to=CONTACT).key == f"admission_decision:{made.pk}:refused"
    # users["county"] recorded it and has no e-mail address: the inbox only.
    assert Message.objects.get().recipient == users["county"]
    run_worker()
    assert "Not a community's task." in mailbox.text(mailbox.to(CONTACT)[0])
