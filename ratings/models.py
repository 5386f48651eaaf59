"""The yearly three-tier rating (创建"规范、星级、花园"社区).

A round carries its own scheme (criteria per tier, cut-offs, trimming rule); communities
declare a target tier; judges score them at the statement-and-defence meeting; the
proposed results are publicly announced (公示) for opinions, then confirmed as ratings.
Every change goes through ratings.domain.
"""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities.models import Community, ScopedQuerySet
from communities.validators import NotReservedCode

POINTS = {"max_digits": 7, "decimal_places": 2}


class Tier(models.TextChoices):
    NORMATIVE = "normative", _("Normative community")
    STAR = "star", _("Star community")
    GARDEN = "garden", _("Garden community")


TIER_RANK = {Tier.NORMATIVE: 1, Tier.STAR: 2, Tier.GARDEN: 3}
MAX_STARS = 5


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DECLARATIONS_OPEN = "declarations_open", _("Declarations open")
    DECLARATIONS_CLOSED = "declarations_closed", _("Declarations closed")
    REVIEW = "review", _("Review meeting: scoring")
    RANKING = "ranking", _("Scoring closed: ranking")
    NOTICE = "notice", _("Public notice")
    FINAL = "final", _("Final")
    ARCHIVED = "archived", _("Archived")


class Prerequisite(models.TextChoices):
    """What a star or garden rating needs below it: a rule of the round's scheme."""

    HELD = "held", _("A lower rating in force")
    HELD_OR_REACHED = (
        "held_or_reached",
        _("A lower rating in force, or the lower level's cut-off reached in this round"),
    )


# The order a round moves through; the public sees a round from its notice on, and its
# ratings are recorded when it is confirmed (final).
ROUND_FLOW = list(RoundStatus)
PUBLISHED = (RoundStatus.NOTICE, RoundStatus.FINAL, RoundStatus.ARCHIVED)
CONFIRMED = (RoundStatus.FINAL, RoundStatus.ARCHIVED)


# The first path segments of the staff pages under /ratings/: a round code must differ.
RESERVED_CODES = ("evidence", "judging", "manage")
validate_round_code = NotReservedCode(RESERVED_CODES)  # named in migration 0001


class RoundQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status__in=PUBLISHED)


class Round(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[validate_round_code],
        help_text=_("e.g. 2026"),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(
        _("status"), max_length=24, choices=RoundStatus, default=RoundStatus.PLANNED
    )
    declarations_open_on = models.DateField(_("declarations open on"), null=True, blank=True)
    declarations_close_on = models.DateField(_("declarations close on"), null=True, blank=True)
    review_meeting_on = models.DateField(_("review meeting on"), null=True, blank=True)
    notice_starts_on = models.DateField(_("public notice starts on"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice ends on"), null=True, blank=True)
    finalised_on = models.DateField(_("confirmed on"), null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(
        _("public notice (days)"), default=7, validators=[MinValueValidator(1)]
    )
    # 去掉一个最高分和一个最低分: with this many judges or more, drop one of each.
    trim_extremes = models.BooleanField(_("drop the highest and lowest score"), default=True)
    trim_min_judges = models.PositiveSmallIntegerField(
        _("judges needed to drop extremes"), default=5, validators=[MinValueValidator(3)]
    )
    # The speech's first round (2008) rated communities normative and star at once: a
    # scheme may let this round's own total meet the prerequisite (HELD_OR_REACHED).
    prerequisite = models.CharField(
        _("prerequisite of a star or garden rating"),
        max_length=16,
        choices=Prerequisite,
        default=Prerequisite.HELD,
    )
    garden_min_stars = models.PositiveSmallIntegerField(
        _("stars needed before garden"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STARS)],
    )
    valid_years = models.PositiveSmallIntegerField(
        _("ratings valid for (years)"), default=3, validators=[MinValueValidator(1)]
    )
    issuing_office = models.CharField(
        _("issuing office"), max_length=100, default="淳安县社区建设领导小组办公室"
    )
    contact_phone = models.CharField(_("contact telephone"), max_length=40, blank=True)
    contact_address = models.CharField(
        _("address for written objections"),
        max_length=200,
        blank=True,
        help_text=_("Where residents send or bring a written objection during the notice."),
    )
    scheme_is_example = models.BooleanField(
        _("scheme is an example"),
        default=False,
        help_text=_("The criteria and cut-offs are an example to adjust, not the county's own."),
    )
    results_from_record = models.BooleanField(
        _("results from the record"),
        default=False,
        help_text=_("Results taken from the county's record (no scores kept), e.g. 2008."),
    )
    history = HistoricalRecords()

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating round")
        verbose_name_plural = _("rating rounds")
        ordering = ["-year", "-code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(declarations_close_on__isnull=True)
                | Q(declarations_open_on__isnull=True)
                | Q(declarations_close_on__gte=F("declarations_open_on")),
                name="ratings_round_declarations_dates",
            ),
            models.CheckConstraint(
                condition=Q(notice_ends_on__isnull=True)
                | Q(notice_starts_on__isnull=True)
                | Q(notice_ends_on__gte=F("notice_starts_on")),
                name="ratings_round_notice_dates",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("ratings:round_results", kwargs={"code": self.code})

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED

    @property
    def is_confirmed(self) -> bool:
        """Its results are confirmed: its ratings are recorded."""
        return self.status in CONFIRMED


class Criterion(models.Model):
    class Source(models.TextChoices):
        JUDGED = "judged", _("Scored by the judges")
        FACILITIES = "facilities", _("Facility checklist complete (portal data)")
        SPACE = "space", _("Space standard met (portal data)")
        TERMS = "terms", _("Committee term valid (portal data)")
        RETURNS = "returns", _("Monthly returns complete for the year (portal data)")

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("round")
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=160, blank=True)
    max_points = models.DecimalField(_("maximum points"), **POINTS)
    weight = models.DecimalField(_("weight"), default=Decimal(1), **POINTS)
    source = models.CharField(_("source"), max_length=16, choices=Source, default=Source.JUDGED)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["round", "tier", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="ratings_criterion_code"),
            models.CheckConstraint(
                condition=Q(max_points__gt=0), name="ratings_criterion_max_positive"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="ratings_criterion_weight"),
        ]

    def __str__(self):
        return self.name


class CutOff(models.Model):
    """The lowest weighted total that reaches a level: normative, N stars, or garden."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="cutoffs", verbose_name=_("round")
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier)
    stars = models.PositiveSmallIntegerField(
        _("stars"), default=0, validators=[MaxValueValidator(MAX_STARS)]
    )
    min_score = models.DecimalField(_("lowest total"), **POINTS)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cut-off score")
        verbose_name_plural = _("cut-off scores")
        ordering = ["round", "tier", "stars"]
        constraints = [
            models.UniqueConstraint(fields=["round", "tier", "stars"], name="ratings_cutoff_once"),
            models.CheckConstraint(
                condition=(Q(tier=Tier.STAR) & Q(stars__gte=1) & Q(stars__lte=MAX_STARS))
                | (~Q(tier=Tier.STAR) & Q(stars=0)),
                name="ratings_cutoff_stars_only_for_star",
            ),
            models.CheckConstraint(condition=Q(min_score__gte=0), name="ratings_cutoff_nonneg"),
        ]

    def __str__(self):
        return f"{self.get_tier_display()} {self.stars or ''} ≥ {self.min_score}"


class RoundEvent(models.Model):
    """Each move of a round along its lifecycle: who, when, from what to what."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="events", verbose_name=_("round")
    )
    from_status = models.CharField(_("from"), max_length=24, choices=RoundStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=RoundStatus)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("round event")
        verbose_name_plural = _("round events")
        ordering = ["round", "at", "pk"]

    def __str__(self):
        return f"{self.round} → {self.get_to_status_display()}"


class Declaration(models.Model):
    """A community's declaration of its creation target (创建目标) for a round (申报)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    community_path = "community"

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("round")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name=_("community"),
    )
    target_tier = models.CharField(_("target tier"), max_length=16, choices=Tier)
    target_stars = models.PositiveSmallIntegerField(
        _("target stars"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STARS)],
    )
    self_assessment = models.TextField(_("self-assessment"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["round", "community__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "community"], name="ratings_declaration_once"),
            models.CheckConstraint(
                condition=(Q(target_tier=Tier.STAR) & Q(target_stars__isnull=False))
                | (~Q(target_tier=Tier.STAR) & Q(target_stars__isnull=True)),
                name="ratings_declaration_stars_only_for_star",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.community}"


def evidence_path(instance, filename):
    # Server-generated names: the uploaded name is kept only as data (original_name).
    return f"evidence/{instance.declaration.round.code}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Photo")
        DOCUMENT = "document", _("Document")

    community_path = "declaration__community"

    declaration = models.ForeignKey(
        Declaration,
        on_delete=models.CASCADE,
        related_name="evidence",
        verbose_name=_("declaration"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=evidence_path, blank=True)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["declaration", "uploaded_at"]

    def __str__(self):
        return self.original_name


class JudgeAssignment(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="judges", verbose_name=_("round")
    )
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="judge_assignments",
        verbose_name=_("judge"),
    )
    is_chair = models.BooleanField(_("chair of the panel"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("judge assignment")
        verbose_name_plural = _("judge assignments")
        ordering = ["round", "-is_chair", "judge__username"]
        constraints = [
            models.UniqueConstraint(fields=["round", "judge"], name="ratings_judge_once"),
            models.UniqueConstraint(
                fields=["round"], condition=Q(is_chair=True), name="ratings_one_chair"
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.judge}"


class ConflictOfInterest(models.Model):
    """A judge linked to a community (works or lives there): they may not score it."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("round")
    )
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("judge"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    reason = models.CharField(_("link"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["round", "judge__username", "community__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "judge", "community"], name="ratings_conflict_once"
            )
        ]

    def __str__(self):
        return f"{self.judge} ⟂ {self.community}"


class ScoreSheet(models.Model):
    """One judge's scores for one declaration, or their abstention."""

    community_path = "declaration__community"

    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="score_sheets",
        verbose_name=_("judge"),
    )
    declaration = models.ForeignKey(
        Declaration,
        on_delete=models.CASCADE,
        related_name="sheets",
        verbose_name=_("declaration"),
    )
    abstained = models.BooleanField(_("abstained"), default=False)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        ordering = ["declaration", "judge__username"]
        constraints = [
            models.UniqueConstraint(fields=["judge", "declaration"], name="ratings_sheet_once")
        ]

    def __str__(self):
        return f"{self.judge} · {self.declaration}"


class Score(models.Model):
    sheet = models.ForeignKey(
        ScoreSheet, on_delete=models.CASCADE, related_name="scores", verbose_name=_("score sheet")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores", verbose_name=_("criterion")
    )
    points = models.DecimalField(_("points"), **POINTS)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["sheet", "criterion__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="ratings_score_once"),
            models.CheckConstraint(condition=Q(points__gte=0), name="ratings_score_nonneg"),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.points}"


def rating_valid_until(round_: Round) -> datetime.date:
    """The last day a rating from this round holds: 31 December of year + valid_years - 1.

    A rule of this portal, not of the speech (which gives no validity): a rating counts
    for `valid_years` calendar years including the round's own, e.g. 2008 → 2010-12-31.
    """
    return datetime.date(round_.year + round_.valid_years - 1, 12, 31)


class RatingQuerySet(ScopedQuerySet):
    def not_revoked(self):
        return self.filter(revoked_on__isnull=True)

    def in_force(self, on: datetime.date):
        """The ratings in force on `on`, the one rule for it: from a confirmed round, not
        revoked, and valid until `on` or later (rating_valid_until)."""
        return self.not_revoked().filter(round__status__in=CONFIRMED, valid_until__gte=on)


class Rating(models.Model):
    """A community's confirmed rating from a round: its tier, stars, and how long it holds."""

    community_path = "community"

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("round")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("community")
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier)
    stars = models.PositiveSmallIntegerField(
        _("stars"), null=True, blank=True, validators=[MaxValueValidator(MAX_STARS)]
    )
    score = models.DecimalField(_("total score"), null=True, blank=True, **POINTS)
    rank = models.PositiveSmallIntegerField(_("rank in its category"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"))
    explanation = models.TextField(_("how the tier was decided"), blank=True)
    revoked_on = models.DateField(_("revoked on (摘牌)"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    history = HistoricalRecords()

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-round__year", "community__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "community"], name="ratings_rating_once"),
            models.CheckConstraint(
                condition=(Q(tier=Tier.STAR) & Q(stars__gte=1) & Q(stars__lte=MAX_STARS))
                | (~Q(tier=Tier.STAR) & Q(stars__isnull=True)),
                name="ratings_rating_stars_only_for_star",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | ~Q(revoked_reason=""),
                name="ratings_rating_revocation_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.round.year} {self.get_tier_display()}"


class Objection(models.Model):
    """An opinion or objection sent by the public while a round's notice is open."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        PUBLISHED = "published", _("Published")
        HIDDEN = "hidden", _("Hidden")

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="objections", verbose_name=_("round")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community concerned"),
    )
    text = models.TextField(_("opinion"), max_length=2000)
    name = models.CharField(_("name"), max_length=50, blank=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    # A keyed hash of the sender's address, for the rate limit; never the address itself.
    sender_hash = models.CharField(_("sender fingerprint"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    handling = models.TextField(_("how it was handled"), blank=True)
    public_reply = models.TextField(_("public reply"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["round", "-submitted_at"]
        indexes = [
            models.Index(fields=["round", "status"], name="ratings_objection_status"),
            models.Index(fields=["sender_hash", "submitted_at"], name="ratings_objection_rate"),
        ]

    def __str__(self):
        return f"{self.round} · {self.submitted_at:%Y-%m-%d %H:%M}"
