"""Evidence files in a real browser: the clerk adds a photo to 西园's declaration (and is
refused a text file dressed up as one), submits; the judge sees the photo on the score sheet
and downloads it, re-encoded without its camera data."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from ratings.models import Declaration, Evidence, Round, RoundStatus
from tests.e2e.journeys import (
    example_round,
    example_round_without_its_sample_review,
    log_in,
    log_out,
)
from tests.e2e.test_ratings_journey import move_on

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAMERA = "TestCam EXIF-Marker"


@pytest.fixture
def demo_round(live_server, page, settings):
    """The Chun'an demo with its accounts, its example round open for declarations, its
    closing date yesterday and its review meeting today (moves in line with its dates);
    English."""
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    today = timezone.localdate()
    Round.objects.filter(pk=example_round_without_its_sample_review().pk).update(
        status=RoundStatus.DECLARATIONS_OPEN,
        declarations_open_on=today - datetime.timedelta(days=30),
        declarations_close_on=today - datetime.timedelta(days=1),
        review_meeting_on=today,
    )
    round_ = example_round()
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    return round_


@pytest.fixture
def photo(tmp_path):
    """A small JPEG carrying EXIF camera data, as a phone would send it."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = "Model X"  # Model
    path = tmp_path / "site-photo.jpg"
    Image.new("RGB", (640, 480), (180, 90, 40)).save(path, "JPEG", exif=exif)
    assert CAMERA.encode() in path.read_bytes()
    return path


@pytest.fixture
def fake_photo(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("这不是照片，只是改了扩展名的文本文件。\n", encoding="utf-8")
    return path


def expect_image_loaded(image):
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0


def test_evidence_clerk_uploads_judge_downloads(page, screenshot, demo_round, photo, fake_photo):
    code = demo_round.code
    # The clerk saves a draft: only then can files be added.
    log_in(page, "demo_clerk")
    page.goto(f"/ratings/manage/{code}/declare/xiyuan/")
    expect(page.locator("#evidence-files")).to_contain_text("Save the declaration as a draft")
    page.get_by_label("Normative community").check()
    page.get_by_label("Self-assessment").fill("活动室、图书室照片见附件。")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("The declaration is saved as a draft.")
    expect(page.locator("#declaration-status")).to_have_text("Draft")

    # A photo: listed with its thumbnail.
    upload = page.locator("#evidence-upload")
    upload.locator("input[type='file']").set_input_files(photo)
    upload.get_by_label("Caption").fill("社区活动室")
    upload.get_by_role("button", name="Add the file").click()
    expect(page.locator(".messages")).to_contain_text("“site-photo.jpg” is added to the evidence.")
    item = page.locator("#evidence-list li", has_text="site-photo.jpg")
    expect(item).to_contain_text("社区活动室")
    expect_image_loaded(item.locator("img"))

    # A text file named .jpg: refused, and nothing added.
    upload.locator("input[type='file']").set_input_files(fake_photo)
    upload.get_by_role("button", name="Add the file").click()
    expect(page.locator("#error-summary")).to_contain_text("This kind of file cannot be added.")
    expect(page.locator("#evidence-list li")).to_have_count(1)
    screenshot("ratings-evidence-clerk")

    page.get_by_role("button", name="Submit the declaration").click()
    expect(page.locator(".messages")).to_contain_text("The declaration is submitted.")
    expect(page.locator("#declaration-status")).to_have_text("Submitted")
    expect(page.locator("#evidence-upload")).to_have_count(0)
    log_out(page)

    # The county opens the review meeting and puts the judge on the panel.
    log_in(page, "demo_county")
    page.goto("/ratings/manage/")
    move_on(page, "Declarations closed")
    move_on(page, "Review meeting: scoring")
    page.goto(f"/ratings/manage/{code}/")
    page.get_by_label("Judge's user name").fill("demo_judge")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("demo_judge is on the panel.")
    log_out(page)

    # The judge sees the photo on the score sheet and downloads it.
    log_in(page, "demo_judge")
    page.goto(f"/ratings/judging/{code}/xiyuan/")
    files = page.locator("#evidence-files")
    expect(files.locator("#evidence-list li")).to_have_count(1)
    expect(files).to_contain_text("site-photo.jpg")
    expect_image_loaded(files.locator("img"))
    screenshot("ratings-evidence-judge")

    href = files.get_by_role("link", name="site-photo.jpg").get_attribute("href")
    response = page.request.get(href)

    assert response.status == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.body()
    assert CAMERA.encode() not in body
    with Image.open(io.BytesIO(body)) as served:
        assert (served.format, served.size, dict(served.getexif())) == ("JPEG", (640, 480), {})
    evidence = Evidence.objects.get(declaration__round=demo_round)
    assert href == reverse("ratings:evidence_file", kwargs={"pk": evidence.pk})
    assert evidence.declaration.status == Declaration.Status.SUBMITTED
    assert evidence.original_name == "site-photo.jpg"
