"""The county's announcements (通知公告): the public list, each announcement's page and its
attachment, the county's pages to write, schedule and withdraw them, the home page's list,
and the call for declarations a round publishes when it opens them (portal.announcements)."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format
from PIL import Image

from chunan_community.errors import Refused
from chunan_community.uploads import DOCX, PDF, FileRefused
from communities.loading import Loader
from communities.models import Role
from operations.demo.announcements import SAMPLE_NOTICES, load_sample_announcements
from portal import announcements
from portal.models import Announcement, AnnouncementStatus
from ratings import domain
from ratings.models import Round, RoundStatus
from tests.factories import make_announcement
from tests.html import soup
from tests.queries import NAV_QUERIES
from tests.ratings.factories import make_round

pytestmark = pytest.mark.django_db

# Monday 7 December 2026.
TODAY = datetime.date(2026, 12, 7)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 12, 7, 10, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def pdf(name="通知附件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def docx(name="报名表.docx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def png(name="门口.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form_data(**kwargs) -> dict:
    data = {
        "title": "关于开展社区走访的通知",
        "published_on": "2026-12-07",
        "body": "请各社区做好准备。",
    }
    data.update(kwargs)
    return data


def stored(announcement) -> bytes:
    with announcement.attachment.open("rb") as handle:
        return handle.read()


def with_file(**kwargs) -> Announcement:
    kwargs.setdefault("title", "带附件的通知")
    kwargs.setdefault("body", "见附件。")
    kwargs.setdefault("published_on", TODAY)
    kwargs.setdefault("upload", pdf())
    return announcements.announcement_create(**kwargs, today=TODAY)


def listed(response) -> list[str]:
    """The titles of the announcements a page lists."""
    return [a.text for a in soup(response).select(".announcement-list__title > a")]


# ---------- Who may open what ----------

ROLES = ["anonymous", "no_role", "judge", "clerk", "township", "county"]
OK, DENIED, MISSING, LOGIN = 200, 403, 404, "login"


def _as(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


def _answer(response):
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_the_public_pages_are_everyones(client, users, role):
    announcement = with_file(by=users["county"])
    _as(client, users, role)

    answers = [
        _answer(client.get(url))
        for url in (
            "/announcements/",
            f"/announcements/{announcement.pk}/",
            f"/announcements/{announcement.pk}/file/",
        )
    ]

    assert answers == [OK, OK, OK]


@pytest.mark.parametrize("role", ROLES)
def test_the_public_pages_take_no_post(client, users, role):
    announcement = make_announcement()
    _as(client, users, role)

    answers = [
        client.post(url).status_code
        for url in (
            "/announcements/",
            f"/announcements/{announcement.pk}/",
            f"/announcements/{announcement.pk}/file/",
        )
    ]

    assert answers == [405, 405, 405]


MANAGE_ANSWERS = {"anonymous": LOGIN, "county": OK} | dict.fromkeys(
    ["no_role", "judge", "clerk", "township"], DENIED
)


@pytest.mark.parametrize("role", ROLES)
def test_the_county_pages_are_county_staffs(client, users, role):
    announcement = make_announcement()
    _as(client, users, role)

    answers = [
        _answer(client.get(url))
        for url in (
            "/manage/announcements/",
            "/manage/announcements/new/",
            f"/manage/announcements/{announcement.pk}/edit/",
            f"/manage/announcements/{announcement.pk}/withdraw/",
        )
    ]

    assert answers == [MANAGE_ANSWERS[role]] * 4


@pytest.mark.parametrize("role", ROLES)
def test_only_county_staff_may_post_and_a_refused_post_changes_nothing(client, users, role):
    announcement = make_announcement(title="原标题")
    _as(client, users, role)

    answers = [
        _answer(client.post("/manage/announcements/new/", form_data(title="新通知"))),
        _answer(
            client.post(
                f"/manage/announcements/{announcement.pk}/edit/", form_data(title="改过的标题")
            )
        ),
        _answer(
            client.post(f"/manage/announcements/{announcement.pk}/withdraw/", {"confirm": "on"})
        ),
        _answer(client.post("/manage/announcements/")),
    ]

    announcement.refresh_from_db()
    if role == "county":
        assert answers == [302, 302, 302, 405]
        assert Announcement.objects.count() == 2
        assert (announcement.title, announcement.withdrawn_on) == ("改过的标题", TODAY)
    else:
        expected = MANAGE_ANSWERS[role]
        assert answers == [expected] * 3 + [LOGIN if role == "anonymous" else 405]
        assert list(Announcement.objects.values_list("title", "withdrawn_on")) == [("原标题", None)]


def test_an_announcement_that_does_not_exist_is_404(client, users):
    client.force_login(users["county"])

    answers = [
        client.get(url).status_code
        for url in (
            "/announcements/999/",
            "/announcements/999/file/",
            "/manage/announcements/999/edit/",
            "/manage/announcements/999/withdraw/",
        )
    ]

    assert answers == [404, 404, 404, 404]


# ---------- What the public sees ----------


@pytest.mark.parametrize(
    ("published_on", "withdrawn_on"),
    [(None, None), (TODAY + DAY, None), (TODAY - DAY, TODAY)],
    ids=["draft", "scheduled", "withdrawn"],
)
@pytest.mark.parametrize("role", ["anonymous", "clerk", "township"])
def test_drafts_scheduled_and_withdrawn_ones_are_not_public(
    client, users, role, published_on, withdrawn_on
):
    hidden = with_file(by=users["county"], published_on=None)
    Announcement.objects.filter(pk=hidden.pk).update(
        published_on=published_on, withdrawn_on=withdrawn_on
    )
    _as(client, users, role)

    answers = [
        client.get(f"/announcements/{hidden.pk}/").status_code,
        client.get(f"/announcements/{hidden.pk}/file/").status_code,
    ]

    assert answers == [404, 404]
    assert listed(client.get("/announcements/")) == []
    assert listed(client.get("/")) == []


def test_county_staff_preview_a_scheduled_one_marked_as_such(en, users):
    scheduled = make_announcement(title="下周的通知", published_on=TODAY + 2 * DAY)
    en.force_login(users["county"])

    page = soup(en.get(f"/announcements/{scheduled.pk}/"))

    preview = " ".join(page.select_one("#announcement-preview").text.split())
    with translation.override("en"):
        day = date_format(TODAY + 2 * DAY, "DATE_FORMAT")
    assert preview == (
        f"Status: Scheduled The public sees it from {day};"
        " until then only county staff see this page."
    )
    assert page.select_one("h1").text.strip() == "下周的通知"


def test_a_scheduled_one_is_public_from_its_day(client):
    scheduled = make_announcement(title="下周的通知", published_on=TODAY + 2 * DAY)

    before = client.get(f"/announcements/{scheduled.pk}/").status_code
    with time_machine.travel(datetime.datetime(2026, 12, 9, 1, tzinfo=datetime.UTC), tick=False):
        after = client.get(f"/announcements/{scheduled.pk}/").status_code
        home = listed(client.get("/"))

    assert (before, after, home) == (404, 200, ["下周的通知"])


def test_the_page_shows_the_title_date_text_attachment_and_round(client, users):
    round_ = make_round(code="r2026", name="2026年度社区评定", status=RoundStatus.FINAL)
    announcement = with_file(
        by=users["county"],
        title="关于公布评定结果的通知",
        body="第一段。\n\n第二段，\n换行。",
        round=round_,
        upload=pdf("结果名单.PDF"),
    )

    page = soup(client.get(f"/announcements/{announcement.pk}/"))

    assert page.select_one("h1").text.strip() == "关于公布评定结果的通知"
    assert page.select_one("#announcement-date").text == "2026年12月7日"
    assert page.select_one("#announcement-date")["datetime"] == "2026-12-07"
    assert [str(p) for p in page.select("#announcement-body p")] == [
        "<p>第一段。</p>",
        "<p>第二段，<br/>换行。</p>",
    ]
    link = page.select_one("#announcement-file")
    assert (link["href"], link.text) == (f"/announcements/{announcement.pk}/file/", "结果名单.pdf")
    round_link = page.select_one("#announcement-round a")
    assert (round_link["href"], round_link.text) == ("/ratings/r2026/", "2026年度社区评定")


def test_a_round_not_yet_published_is_named_without_a_public_link(client, users):
    round_ = make_round(code="r2027", name="2027年度社区评定", status=RoundStatus.PLANNED)
    announcement = make_announcement(round=round_)

    page = soup(client.get(f"/announcements/{announcement.pk}/"))

    assert page.select("#announcement-round a") == []
    assert "2027年度社区评定" in page.select_one("#announcement-round").text


def test_the_page_loads_its_print_rules(client):
    announcement = make_announcement()

    page = soup(client.get(f"/announcements/{announcement.pk}/"))

    assert any(
        link["href"].endswith("css/announcements.css")
        for link in page.select("link[rel=stylesheet]")
    )
    css = (settings.BASE_DIR / "static" / "css" / "announcements.css").read_text()
    assert "@media print" in css


def test_the_attachment_is_a_download_with_a_safe_name_and_its_real_type(client, users):
    announcement = with_file(by=users["county"], upload=docx('..\\..\\报名"表;.DOC'))

    response = client.get(f"/announcements/{announcement.pk}/file/")

    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"] == (
        f'attachment; filename="announcement-{announcement.pk}.docx"; '
        "filename*=UTF-8''%E6%8A%A5%E5%90%8D_%E8%A1%A8_.docx"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == stored(announcement)


def test_an_ascii_name_is_kept_for_old_clients(client, users):
    announcement = with_file(by=users["county"], upload=pdf("notice-2026.pdf"))

    response = client.get(f"/announcements/{announcement.pk}/file/")

    assert response["Content-Type"] == PDF
    assert response["Content-Disposition"].startswith('attachment; filename="notice-2026.pdf";')


def test_a_picture_is_stored_re_encoded(users):
    announcement = with_file(by=users["county"], upload=png())

    content = stored(announcement)
    assert (announcement.attachment_type, announcement.attachment_name) == (
        "image/jpeg",
        "门口.png",
    )
    assert Image.open(io.BytesIO(content)).format == "JPEG"
    assert announcements.attachment_download_name(announcement) == "门口.jpg"


def test_the_list_is_newest_first_paged_and_by_year(client):
    for day in range(1, 4):
        make_announcement(title=f"十二月{day}日", published_on=datetime.date(2026, 12, day))
    make_announcement(title="去年的", published_on=datetime.date(2025, 6, 1))

    all_years = soup(client.get("/announcements/"))
    last_year = client.get("/announcements/", {"year": "2025"})

    assert [a.text for a in all_years.select(".announcement-list__title > a")] == [
        "十二月3日",
        "十二月2日",
        "十二月1日",
        "去年的",
    ]
    assert [o["value"] for o in all_years.select("#id_year option")] == ["", "2026", "2025"]
    assert listed(last_year) == ["去年的"]


@override_settings(PAGE_SIZE=2)
def test_the_list_is_paged(client):
    for day in range(1, 6):
        make_announcement(title=f"十二月{day}日", published_on=datetime.date(2026, 12, day))

    second = client.get("/announcements/", {"page": "2"})

    assert listed(second) == ["十二月3日", "十二月2日"]


@pytest.mark.parametrize("count", [1, 8])
def test_the_public_list_runs_the_same_queries_however_many(client, count):
    for n in range(count):
        make_announcement(published_on=TODAY - n * DAY)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/announcements/")

    # The years of the filter, the count, the page.
    assert (len(queries), len(listed(response))) == (3, count)


@pytest.mark.parametrize("count", [1, 8])
def test_an_announcements_page_is_one_query(client, django_assert_num_queries, count):
    round_ = make_round()
    for _ in range(count):
        announcement = make_announcement(round=round_)

    with django_assert_num_queries(1):
        response = client.get(f"/announcements/{announcement.pk}/")

    assert response.status_code == 200


# ---------- The home page ----------


@pytest.mark.parametrize("count", [1, 8])
def test_the_home_page_lists_the_newest_few_in_the_same_queries(
    client, tree, django_assert_num_queries, count
):
    for n in range(count):
        make_announcement(title=f"通知{n}", published_on=TODAY - n * DAY)
    make_announcement(title="明天的", published_on=TODAY + DAY)

    # The townships with their sums, the county totals, the communities by township, the
    # rounds under public notice, the newest announcements, the newest published reports.
    with django_assert_num_queries(6):
        response = client.get("/")

    section = soup(response).select_one("#home-announcements")
    assert listed(response) == [f"通知{n}" for n in range(min(count, announcements.HOME_COUNT))]
    assert section.select_one("#more-announcements")["href"] == "/announcements/"


def test_the_home_page_keeps_the_notice_banner_above_the_announcements(client):
    make_round(
        status=RoundStatus.NOTICE,
        code="r2026",
        notice_starts_on=TODAY - DAY,
        notice_ends_on=TODAY + 4 * DAY,
    )
    make_announcement()

    html = client.get("/").content.decode()

    assert 0 < html.index('class="notice-banner"') < html.index('id="home-announcements"')
    assert html.index('id="home-announcements"') < html.index('id="county-figures"')


def test_the_home_page_says_nothing_of_announcements_without_any(client):
    assert soup(client.get("/")).select_one("#home-announcements") is None


def test_a_new_announcement_shows_on_the_kept_home_page_at_once(client, users):
    client.get("/")  # kept in the public cache

    with_file(by=users["county"], title="刚发布的通知")

    assert listed(client.get("/")) == ["刚发布的通知"]


def test_the_public_navigation_leads_to_the_announcements(en):
    links = soup(en.get("/communities/")).select("nav.site-nav .site-nav__inner a")

    assert ("Announcements", "/announcements/") in [(a.text.strip(), a["href"]) for a in links]


# ---------- The county writes ----------


def test_county_staff_publish_one_with_an_attachment(en, users):
    en.force_login(users["county"])

    response = en.post(
        "/manage/announcements/new/", form_data(attachment=pdf("通知.pdf"), round="")
    )

    announcement = Announcement.objects.get()
    assert (response.status_code, response["Location"]) == (302, "/manage/announcements/")
    assert (
        announcement.title,
        announcement.published_on,
        announcement.created_by,
        announcement.attachment_name,
        announcement.attachment_type,
        announcement.status_on(TODAY),
    ) == ("关于开展社区走访的通知", TODAY, users["county"], "通知.pdf", PDF, "published")
    assert announcement.attachment.name.startswith("announcements/")
    assert "通知" not in announcement.attachment.name
    assert announcement.history.get().history_user == users["county"]
    message = [m.message for m in en.get("/manage/announcements/").context["messages"]]
    assert message == ["Published: it is on the home page and in the list of announcements now."]


@pytest.mark.parametrize(
    ("published_on", "status", "message"),
    [
        (
            "",
            "draft",
            "Saved as a draft: nobody else sees it until you give it a publication date.",
        ),
        ("2026-12-10", "scheduled", "Scheduled: it will be public from"),
    ],
)
def test_a_draft_or_a_scheduled_one_says_so(en, users, published_on, status, message):
    en.force_login(users["county"])

    response = en.post(
        "/manage/announcements/new/", form_data(published_on=published_on), follow=True
    )

    announcement = Announcement.objects.get()
    assert announcement.status_on(TODAY) == status
    (first, *_rest) = [m.message for m in response.context["messages"]]
    assert first.startswith(message)
    row = soup(response).select_one(f"tr[data-announcement='{announcement.pk}']")
    assert row.select_one(".announcement-status")["class"] == [
        "announcement-status",
        f"announcement-status--{status}",
    ]


def _summary(response) -> list[tuple[str, str]]:
    summary = soup(response).select_one("#error-summary")
    return [(a["href"], a.text) for a in summary.select("a")]


@pytest.mark.parametrize(
    ("data", "summary"),
    [
        (
            form_data(title="", body=""),
            [
                ("#id_title", "Announcement title: Enter the title of the announcement."),
                ("#id_body", "Text of the announcement: Write the text of the announcement."),
            ],
        ),
        (
            form_data(title="   "),
            [("#id_title", "Announcement title: Enter the title of the announcement.")],
        ),
        (
            form_data(published_on="2026-12-06"),
            [
                (
                    "#id_published_on",
                    "Publish on: The publication date cannot be in the past: publish today"
                    " or choose a later day.",
                )
            ],
        ),
        (
            form_data(published_on="7.12.2026"),
            [("#id_published_on", "Publish on: Enter the date as YYYY-MM-DD, e.g. 2026-03-10.")],
        ),
        (
            form_data(attachment=SimpleUploadedFile("通知.txt", b"plain text, not a document")),
            [
                (
                    "#id_attachment",
                    "Attachment (optional): This kind of file cannot be added. Allowed are"
                    " photos (JPEG, PNG, WebP) and documents (PDF, Word .docx, Excel .xlsx).",
                )
            ],
        ),
        (
            form_data(attachment=SimpleUploadedFile("空.pdf", b"")),
            [("#id_attachment", "Attachment (optional): The file is empty.")],
        ),
    ],
    ids=["empty", "blank-title", "backdated", "bad-date", "bad-type", "empty-file"],
)
def test_bad_input_is_summed_up_at_the_top_and_nothing_is_saved(en, users, data, summary):
    en.force_login(users["county"])

    response = en.post("/manage/announcements/new/", data)

    assert response.status_code == 400
    assert _summary(response) == summary
    assert Announcement.objects.count() == 0


@override_settings(ANNOUNCEMENT_MAX_BYTES=1024)
def test_a_file_too_large_is_refused_with_the_limit(en, users):
    en.force_login(users["county"])

    response = en.post(
        "/manage/announcements/new/",
        form_data(attachment=SimpleUploadedFile("大.pdf", b"%PDF-1.4\n" + b"x" * 2000)),
    )

    assert response.status_code == 400
    assert _summary(response) == [
        (
            "#id_attachment",
            "Attachment (optional): The file is larger than 1 KB."
            " Make it smaller and upload it again.",
        )
    ]
    page = soup(response)
    assert page.select_one("#id_title")["value"] == "关于开展社区走访的通知"
    assert page.select_one("#attachment-again") is not None
    assert Announcement.objects.count() == 0


def test_the_form_says_the_attachments_limit(en, users):
    en.force_login(users["county"])

    page = soup(en.get("/manage/announcements/new/"))

    assert page.select_one("#id_attachment_helptext").text == (
        "A PDF, Word (.docx) or Excel (.xlsx) file or a picture (JPEG, PNG, WebP), at most 10 MB."
    )
    assert page.select_one("#id_published_on")["value"] == "2026-12-07"
    assert page.select_one("form.announcement-form")["enctype"] == "multipart/form-data"


@pytest.mark.parametrize(("language", "lang"), [("en", "zh-Hans"), ("zh-hans", None)])
def test_chinese_text_in_the_form_is_marked_on_an_english_page(client, users, language, lang):
    announcement = make_announcement(title="关于开展社区走访的通知", body="请各社区做好准备。")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(users["county"])

    page = soup(client.get(f"/manage/announcements/{announcement.pk}/edit/"))

    assert [page.select_one(f"#id_{name}").get("lang") for name in ("title", "body")] == [
        lang,
        lang,
    ]


def test_a_domain_refusal_of_a_file_stores_nothing(users):
    with pytest.raises(FileRefused):
        with_file(by=users["county"], upload=SimpleUploadedFile("x.pdf", b"MZ\x90\x00"))

    assert Announcement.objects.count() == 0


def test_editing_keeps_a_published_date_and_replaces_the_file(
    en, users, django_capture_on_commit_callbacks
):
    announcement = with_file(by=users["county"], published_on=TODAY)
    old_name = announcement.attachment.name
    storage = Announcement.attachment.field.storage

    later = datetime.datetime(2026, 12, 9, 2, tzinfo=datetime.UTC)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        en.force_login(users["county"])
        response = en.post(
            f"/manage/announcements/{announcement.pk}/edit/",
            form_data(title="改过的标题", published_on="2026-12-07", attachment=docx("新表.docx")),
        )

    announcement.refresh_from_db()
    assert response.status_code == 302
    assert (announcement.title, announcement.published_on, announcement.attachment_name) == (
        "改过的标题",
        TODAY,
        "新表.docx",
    )
    assert (storage.exists(old_name), storage.exists(announcement.attachment.name)) == (
        False,
        True,
    )
    assert announcement.history.count() == 2


def test_the_attachment_can_be_removed(en, users, django_capture_on_commit_callbacks):
    announcement = with_file(by=users["county"])
    old_name = announcement.attachment.name
    en.force_login(users["county"])

    page = soup(en.get(f"/manage/announcements/{announcement.pk}/edit/"))
    with django_capture_on_commit_callbacks(execute=True):
        en.post(
            f"/manage/announcements/{announcement.pk}/edit/",
            form_data(remove_attachment="on"),
        )

    announcement.refresh_from_db()
    assert page.select_one("#current-attachment a")["href"] == (
        f"/announcements/{announcement.pk}/file/"
    )
    assert (announcement.has_attachment, announcement.attachment_name) == (False, "")
    assert not Announcement.attachment.field.storage.exists(old_name)
    assert en.get(f"/announcements/{announcement.pk}/file/").status_code == 404


def test_replacing_and_removing_at_once_is_refused(en, users):
    announcement = with_file(by=users["county"])
    en.force_login(users["county"])

    response = en.post(
        f"/manage/announcements/{announcement.pk}/edit/",
        form_data(remove_attachment="on", attachment=pdf()),
    )

    assert response.status_code == 400
    assert _summary(response) == [
        (
            "#id_remove_attachment",
            "Remove the attachment: Either replace the attachment with a new file or remove it,"
            " not both.",
        )
    ]


def test_withdrawing_asks_first_then_takes_it_off_the_public_pages(en, users):
    announcement = with_file(by=users["county"])
    en.force_login(users["county"])

    confirm = en.get(f"/manage/announcements/{announcement.pk}/withdraw/")
    unconfirmed = en.post(f"/manage/announcements/{announcement.pk}/withdraw/", {})
    withdrawn = en.post(f"/manage/announcements/{announcement.pk}/withdraw/", {"confirm": "on"})

    announcement.refresh_from_db()
    assert soup(confirm).select_one("#id_confirm") is not None
    assert unconfirmed.status_code == 400
    assert _summary(unconfirmed) == [
        (
            "#id_confirm",
            "Yes, withdraw it from the public pages: Tick the box to confirm the withdrawal.",
        )
    ]
    assert (withdrawn.status_code, announcement.withdrawn_on, announcement.withdrawn_by) == (
        302,
        TODAY,
        users["county"],
    )
    en.logout()
    assert en.get(f"/announcements/{announcement.pk}/").status_code == 404
    assert en.get(f"/announcements/{announcement.pk}/file/").status_code == 404


def test_a_withdrawn_one_can_no_longer_be_changed(en, users):
    announcement = make_announcement(withdrawn_on=TODAY - DAY)
    en.force_login(users["county"])

    edit_page = en.get(f"/manage/announcements/{announcement.pk}/edit/", follow=True)
    posted = en.post(f"/manage/announcements/{announcement.pk}/edit/", form_data())
    withdraw_again = en.get(f"/manage/announcements/{announcement.pk}/withdraw/")

    refusal = "This announcement was withdrawn: it can no longer be changed."
    assert [m.message for m in edit_page.context["messages"]] == [refusal]
    assert posted.status_code == 409
    assert refusal in soup(posted).select_one("#form-refusal").text
    assert soup(posted).select_one("#id_title")["value"] == "关于开展社区走访的通知"
    assert withdraw_again.status_code == 302
    with pytest.raises(Refused):
        announcements.announcement_withdraw(announcement=announcement, by=users["county"])


def test_the_county_list_shows_every_status_with_its_badge(en, users):
    make_announcement(title="草稿", published_on=None)
    make_announcement(title="待发布", published_on=TODAY + DAY)
    make_announcement(title="已发布", published_on=TODAY)
    make_announcement(title="已撤回", published_on=TODAY - DAY, withdrawn_on=TODAY)
    en.force_login(users["county"])

    response = en.get("/manage/announcements/")
    filtered = en.get("/manage/announcements/", {"status": "scheduled"})

    rows = soup(response).select("#announcement-table tbody tr")
    assert [
        (row.select_one("th a").text, row.select_one(".announcement-status").text) for row in rows
    ] == [
        ("草稿", "Draft"),
        ("待发布", "Scheduled"),
        ("已发布", "Published"),
        ("已撤回", "Withdrawn"),
    ]
    assert [row.select_one("th a").text for row in soup(filtered).select("tbody tr")] == ["待发布"]
    # A withdrawn one has nothing left to do.
    assert rows[3].select(".link-list") == []


@pytest.mark.parametrize("count", [1, 8])
def test_the_county_list_runs_the_same_queries_however_many(
    client, users, django_assert_num_queries, count
):
    for n in range(count):
        make_announcement(published_on=TODAY - n * DAY)
    client.force_login(users["county"])
    client.get("/manage/announcements/")  # the session's first read out of the way

    # The session, its user, the user's scope; the navigation's; the years of the filter,
    # the count, the page.
    with django_assert_num_queries(3 + NAV_QUERIES[Role.COUNTY] + 3):
        response = client.get("/manage/announcements/")

    assert len(soup(response).select("#announcement-table tbody tr")) == count


def test_county_staff_find_the_announcements_in_their_work_row(en, users):
    en.force_login(users["county"])

    links = soup(en.get("/manage/todo/")).select(".work-nav a")

    assert ("Announcement management", "/manage/announcements/") in [
        (a.text.strip(), a["href"]) for a in links
    ]


# ---------- A round's call for declarations ----------


def _open_declarations(round_, users, **kwargs):
    return domain.round_advance(
        round=round_, to=RoundStatus.DECLARATIONS_OPEN, by=users["county"], today=TODAY, **kwargs
    )


def test_opening_declarations_publishes_the_call_that_day(users):
    round_ = make_round(
        code="r2027", year=2027, name="2027年度社区评定", declarations_close_on=TODAY + 30 * DAY
    )

    _open_declarations(round_, users)

    call = Announcement.objects.get()
    with translation.override("zh-hans"):
        expected_title = announcements.declaration_call_text(round_, TODAY)["title"]
    assert (call.round, call.published_on, call.created_by, call.title) == (
        round_,
        TODAY,
        users["county"],
        expected_title,
    )
    assert "2027" in call.title
    assert "2027年度社区评定" in call.body
    assert "2026年12月7日" in call.body and "2027年1月6日" in call.body
    assert call.is_public_on(TODAY)


def test_the_call_is_published_once_and_on_no_other_move(users):
    round_ = make_round(code="r2027", year=2027)

    _open_declarations(round_, users)
    for to in (RoundStatus.DECLARATIONS_CLOSED, RoundStatus.REVIEW):
        domain.round_advance(
            round=round_, to=to, by=users["county"], today=TODAY, despite_dates=True
        )

    assert Announcement.objects.filter(round=round_).count() == 1
    assert Announcement.objects.count() == 1


def test_no_call_when_the_round_has_an_announcement_already(users):
    round_ = make_round(code="r2027", year=2027)
    own = make_announcement(title="县里自己写的申报通知", round=round_, published_on=None)

    _open_declarations(round_, users)

    assert list(Announcement.objects.all()) == [own]


def test_a_withdrawn_announcement_of_the_round_does_not_stop_the_call(users):
    round_ = make_round(code="r2027", year=2027)
    make_announcement(round=round_, withdrawn_on=TODAY - DAY)

    _open_declarations(round_, users)

    assert Announcement.objects.filter(round=round_, withdrawn_on__isnull=True).count() == 1


def test_a_move_rolled_back_publishes_no_call(users):
    round_ = make_round(code="r2027", year=2027)

    with pytest.raises(RuntimeError), transaction.atomic():
        _open_declarations(round_, users)
        raise RuntimeError("refused later in the same transaction")

    round_.refresh_from_db()
    assert (round_.status, Announcement.objects.count()) == (RoundStatus.PLANNED, 0)


def test_opening_declarations_on_the_rounds_page_puts_the_call_on_the_home_page(client, users):
    round_ = make_round(code="r2027", year=2027)
    county = Client()
    county.force_login(users["county"])
    client.get("/")  # kept in the public cache

    response = county.post(
        f"/ratings/manage/{round_.code}/advance/",
        {"to": RoundStatus.DECLARATIONS_OPEN, "confirm": "1", "note": ""},
    )

    round_.refresh_from_db()
    call = Announcement.objects.get(round=round_)
    assert (response.status_code, round_.status) == (302, RoundStatus.DECLARATIONS_OPEN)
    assert listed(client.get("/")) == [call.title]


# ---------- The demo ----------


def test_the_demo_has_the_current_rounds_call_and_two_notices(users):
    round_ = make_round(
        code="2026",
        year=2026,
        status=RoundStatus.REVIEW,
        declarations_open_on=TODAY - 40 * DAY,
        declarations_close_on=TODAY - 10 * DAY,
    )
    loader = Loader(change_reason="test")

    load_sample_announcements(loader, today=TODAY, current_round=round_, by=users["county"])
    load_sample_announcements(
        Loader(change_reason="test"), today=TODAY + DAY, current_round=round_, by=users["county"]
    )

    rows = list(Announcement.objects.values_list("title", "published_on", "round", "is_sample"))
    assert rows == [
        (SAMPLE_NOTICES[1][1], TODAY - 3 * DAY, None, True),
        (SAMPLE_NOTICES[0][1], TODAY - 12 * DAY, None, True),
        (
            announcements.declaration_call_text(round_, TODAY - 40 * DAY)["title"],
            TODAY - 40 * DAY,
            round_.pk,
            True,
        ),
    ]
    assert [row.status_on(TODAY) for row in Announcement.objects.all()] == [
        AnnouncementStatus.PUBLISHED
    ] * 3
    assert Round.objects.count() == 1
