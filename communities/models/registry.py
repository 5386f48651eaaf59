"""The community registry: townships, communities, their history, governance and premises.

Records that belong to a community say how to reach it in `community_path`; the scoped
querysets (`visible_to`) and the admin use that one attribute, so scoping lives in one place.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Value
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities import access as roles
from communities.access import access_for
from communities.validators import (
    RESERVED_COMMUNITY_CODES,
    NotReservedCode,
    validate_phone_number,
)

# 每百户不少于20平方米: premises of at least 20 m2 for every 100 households.
SPACE_M2_PER_HOUSEHOLD = Decimal("0.2")
AREA = {"max_digits": 9, "decimal_places": 1}


class ScopedQuerySet(models.QuerySet):
    """Rows of a model whose `community_path` leads to a Community."""

    def visible_to(self, user):
        access = access_for(user)
        if getattr(self.model, "personal_data", False) and not access.sees_personal_data:
            return self.none()
        return self.filter(access.q(self.model.community_path))


class LocalNameMixin:
    """`local_name`: the Chinese name, or its pinyin form when the page is in English."""

    def _get_local_name(self):
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    local_name = property(_get_local_name)


class Township(LocalNameMixin, models.Model):
    class Kind(models.TextChoices):
        TOWN = "town", _("Town (镇)")
        TOWNSHIP = "township", _("Township (乡)")
        SUBDISTRICT = "subdistrict", _("Subdistrict (街道)")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("name in English"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.TOWN)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class CommunityQuerySet(ScopedQuerySet):
    def public(self):
        return self.filter(status=Community.Status.ACTIVE)

    def with_space_standard(self):
        """Annotate the required premises (m2) and the shortfall (negative when met)."""
        required = ExpressionWrapper(
            F("households") * Value(SPACE_M2_PER_HOUSEHOLD), output_field=DecimalField(**AREA)
        )
        return self.annotate(space_required=required).annotate(
            space_gap=ExpressionWrapper(
                F("space_required") - F("premises_area_m2"), output_field=DecimalField(**AREA)
            )
        )

    def below_space_standard(self):
        return self.with_space_standard().filter(space_gap__gt=0)


class Community(LocalNameMixin, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MERGED = "merged", _("Merged into another community")
        DISSOLVED = "dissolved", _("Dissolved")

    community_path = ""

    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[NotReservedCode(RESERVED_COMMUNITY_CODES)],
        help_text=_("Short Latin code used in addresses, e.g. xiyuan."),
    )
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name in English"), max_length=80, blank=True)
    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("township"),
    )
    founded_year = models.PositiveSmallIntegerField(
        _("year founded"), validators=[MinValueValidator(1949), MaxValueValidator(2100)]
    )
    founded_on = models.DateField(
        _("founded on"), null=True, blank=True, help_text=_("Exact date, where it is known.")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The office's contact details, shown to staff and (the telephone) on the public profile:
    # an office's, not a resident's.
    office_phone = models.CharField(
        _("office telephone"),
        max_length=32,
        blank=True,
        validators=[validate_phone_number],
        help_text=_("The community office's number, e.g. 0571-64812345 or 138 1234 5678."),
    )
    contact_person = models.CharField(
        _("contact person"),
        max_length=50,
        blank=True,
        help_text=_("Whom to ask for at the office, e.g. the director or the clerk."),
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    premises_area_m2 = models.DecimalField(
        _("total premises (m²)"),
        default=Decimal(0),
        help_text=_("Office and activity space of the community, all buildings together."),
        **AREA,
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    description = models.TextField(_("public description"), blank=True)
    figures_are_sample = models.BooleanField(
        _("figures are sample data"),
        default=True,
        help_text=_("Households, residents and areas invented for the demonstration."),
    )
    history = HistoricalRecords()

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["township__sort_order", "township__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"], name="communities_community_name_per_township"
            ),
            models.CheckConstraint(
                condition=Q(premises_area_m2__gte=0), name="communities_community_premises_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(founded_year__gte=1949) & Q(founded_year__lte=2100),
                name="communities_community_founded_year_range",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("communities:profile", kwargs={"code": self.code})

    def get_workspace_url(self):
        return reverse("communities:workspace_community", kwargs={"code": self.code})

    @property
    def office_phone_uri(self) -> str:
        """The office telephone as a tel: address: its digits, without an extension."""
        number = re.split(r"转|ext|x", self.office_phone)[0]
        return "tel:" + re.sub(r"[^\d+]", "", number)

    @property
    def space_required_m2(self) -> Decimal:
        return (self.households * SPACE_M2_PER_HOUSEHOLD).quantize(Decimal("0.1"))

    @property
    def space_shortfall_m2(self) -> Decimal:
        return max(Decimal(0), self.space_required_m2 - self.premises_area_m2)

    @property
    def meets_space_standard(self) -> bool:
        return self.space_shortfall_m2 == 0


class Restructuring(models.Model):
    """A regrouping of residential areas into communities, such as Qiandaohu's in 2002."""

    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        related_name="restructurings",
        verbose_name=_("township"),
    )
    name = models.CharField(_("name"), max_length=100)
    effective_year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1949), MaxValueValidator(2100)]
    )
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("restructuring")
        verbose_name_plural = _("restructurings")
        ordering = ["effective_year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"], name="communities_restructuring_name_per_township"
            )
        ]

    def __str__(self):
        return f"{self.effective_year} {self.name}"


class FormerArea(models.Model):
    """A former residential area (居民区) from before a restructuring."""

    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="former_areas", verbose_name=_("township")
    )
    name = models.CharField(_("name"), max_length=50)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("former residential area")
        verbose_name_plural = _("former residential areas")
        ordering = ["township__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"], name="communities_formerarea_name_per_township"
            )
        ]

    def __str__(self):
        return self.name


class Formation(models.Model):
    """Part of a restructuring: this former area went (wholly or partly) into this community."""

    community_path = "community"

    restructuring = models.ForeignKey(
        Restructuring,
        on_delete=models.CASCADE,
        related_name="formations",
        verbose_name=_("restructuring"),
    )
    former_area = models.ForeignKey(
        FormerArea,
        on_delete=models.PROTECT,
        related_name="formations",
        verbose_name=_("former residential area"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="formations", verbose_name=_("community")
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("formation")
        verbose_name_plural = _("formations")
        ordering = ["restructuring__effective_year", "former_area__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["restructuring", "former_area", "community"],
                name="communities_formation_unique",
            )
        ]

    def __str__(self):
        return f"{self.former_area} → {self.community}"


class GovernanceBody(models.Model):
    """One of the community's four organisations (社区党组织, 成员代表大会, 居委会, 议事委员会)."""

    class Kind(models.TextChoices):
        PARTY = "party", _("Party organisation")
        ASSEMBLY = "assembly", _("Members' representative assembly")
        RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
        DELIBERATION = "deliberation", _("Deliberation committee")

    class PartyLevel(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("Party general branch")
        BRANCH = "branch", _("Party branch")

    community_path = "community"

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="governance_bodies",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    party_level = models.CharField(
        _("Party organisation level"),
        max_length=16,
        choices=PartyLevel,
        blank=True,
        help_text=_("Only for the Party organisation."),
    )
    name = models.CharField(_("name"), max_length=100)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("governance body")
        verbose_name_plural = _("governance bodies")
        ordering = ["community__code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"], name="communities_body_one_per_kind"
            ),
            models.CheckConstraint(
                condition=(Q(kind="party") & ~Q(party_level=""))
                | (~Q(kind="party") & Q(party_level="")),
                name="communities_body_party_level_iff_party",
            ),
        ]

    def __str__(self):
        return self.name


class PartyBranch(models.Model):
    """A branch under the community's Party organisation, e.g. a building-level 楼道党支部."""

    community_path = "organisation__community"

    organisation = models.ForeignKey(
        GovernanceBody,
        on_delete=models.CASCADE,
        related_name="branches",
        limit_choices_to={"kind": GovernanceBody.Kind.PARTY},
        verbose_name=_("Party organisation"),
    )
    name = models.CharField(_("name"), max_length=100)
    is_building_level = models.BooleanField(_("building-level branch (楼道党支部)"), default=False)
    members = models.PositiveIntegerField(_("Party members"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party branch")
        verbose_name_plural = _("Party branches")
        ordering = ["organisation__community__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="communities_branch_name_per_organisation"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.organisation_id and self.organisation.kind != GovernanceBody.Kind.PARTY:
            raise ValidationError(
                {"organisation": _("A Party branch belongs to the Party organisation.")}
            )


class Term(models.Model):
    """A term of office of a governance body, from one election (换届) to the next."""

    community_path = "body__community"

    body = models.ForeignKey(
        GovernanceBody,
        on_delete=models.CASCADE,
        related_name="terms",
        verbose_name=_("governance body"),
    )
    number = models.PositiveSmallIntegerField(_("term number"), help_text=_("第 N 届"))
    elected_on = models.DateField(_("elected on"))
    starts_on = models.DateField(_("term starts"))
    ends_on = models.DateField(_("term ends"))
    members = models.PositiveSmallIntegerField(_("members"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["body", "-starts_on"]
        get_latest_by = "starts_on"
        constraints = [
            models.UniqueConstraint(fields=["body", "number"], name="communities_term_number"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="communities_term_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(elected_on__lte=F("starts_on")),
                name="communities_term_elected_before_start",
            ),
        ]

    def __str__(self):
        return _("%(body)s, term %(number)s") % {"body": self.body, "number": self.number}


class CoBuildingUnit(models.Model):
    """A unit (enterprise, office, school ...) that builds the community together with it."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        GOVERNMENT = "government", _("Government department")
        INSTITUTION = "institution", _("Public institution")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.ENTERPRISE)
    address = models.CharField(_("address"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CoBuildingPairing(models.Model):
    """A co-building unit paired with a community, and optionally with one of its Party branches."""

    community_path = "community"

    unit = models.ForeignKey(
        CoBuildingUnit,
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("co-building unit"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="pairings", verbose_name=_("community")
    )
    party_branch = models.ForeignKey(
        PartyBranch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pairings",
        verbose_name=_("paired Party branch"),
    )
    started_on = models.DateField(_("paired since"))
    ended_on = models.DateField(_("paired until"), null=True, blank=True)
    contribution = models.CharField(
        _("what the unit contributes"),
        max_length=200,
        blank=True,
        help_text=_("Funds, facilities, people ..."),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-building pairing")
        verbose_name_plural = _("co-building pairings")
        ordering = ["community__code", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community", "started_on"], name="communities_pairing_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="communities_pairing_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.unit} ⇄ {self.community}"

    def clean(self):
        if self.party_branch_id and self.community_id:
            branch_community = self.party_branch.organisation.community_id
            if branch_community != self.community_id:
                raise ValidationError(
                    {"party_branch": _("Choose a Party branch of the paired community.")}
                )


class Honour(models.Model):
    class Level(models.TextChoices):
        COUNTY = "county", _("County")
        CITY = "city", _("City")
        PROVINCE = "province", _("Province")
        NATIONAL = "national", _("National")

    community_path = "community"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="honours", verbose_name=_("community")
    )
    title = models.CharField(_("title"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level)
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1949), MaxValueValidator(2100)],
        help_text=_("Leave empty when the year is not known."),
    )
    awarding_body = models.CharField(_("awarding body"), max_length=100, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("honour")
        verbose_name_plural = _("honours")
        ordering = ["community__code", "-year", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "title", "level"], name="communities_honour_unique"
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | (Q(year__gte=1949) & Q(year__lte=2100)),
                name="communities_honour_year_range",
            ),
        ]

    def __str__(self):
        return self.title


class FacilityKind(models.TextChoices):
    """五室二站一校一场所: the nine standard facilities of a community."""

    PARTY_ROOM = "party_room", _("Party-building room")
    COMMITTEE_OFFICE = "committee_office", _("Residents' committee office")
    POLICE_ROOM = "police_room", _("Police room")
    YOUTH_ROOM = "youth_room", _("Youth activity room")
    ELDERLY_ROOM = "elderly_room", _("Elderly activity room")
    SOCIAL_SECURITY_STATION = "social_security_station", _("Social-security service station")
    MEDICAL_STATION = "medical_station", _("Community medical station")
    CITIZENS_SCHOOL = "citizens_school", _("Citizens' school")
    CULTURE_SPORTS_VENUE = "culture_sports_venue", _("Cultural and sports venue")


class Facility(models.Model):
    community_path = "community"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="facilities", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=FacilityKind)
    present = models.BooleanField(_("present"), default=False)
    area_m2 = models.DecimalField(_("area (m²)"), null=True, blank=True, **AREA)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["community__code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"], name="communities_facility_one_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gte=0),
                name="communities_facility_area_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(present=True) | Q(area_m2__isnull=True),
                name="communities_facility_area_only_if_present",
            ),
        ]

    def __str__(self):
        return f"{self.community} · {self.get_kind_display()}"


class Role(models.TextChoices):
    COUNTY = roles.COUNTY, roles.ROLE_LABELS[roles.COUNTY]
    TOWNSHIP = roles.TOWNSHIP, roles.ROLE_LABELS[roles.TOWNSHIP]
    CLERK = roles.CLERK, roles.ROLE_LABELS[roles.CLERK]
    JUDGE = roles.JUDGE, roles.ROLE_LABELS[roles.JUDGE]


class UserScope(models.Model):
    """A user's role and place in the county → township → community tree."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="scope",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role)
    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("township"),
        help_text=_("For township staff."),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clerks",
        verbose_name=_("community"),
        help_text=_("For community clerks."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("user role")
        verbose_name_plural = _("user roles")
        ordering = ["role", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role=roles.TOWNSHIP, township__isnull=False, community__isnull=True)
                    | Q(role=roles.CLERK, township__isnull=True, community__isnull=False)
                    | Q(
                        role__in=[roles.COUNTY, roles.JUDGE],
                        township__isnull=True,
                        community__isnull=True,
                    )
                ),
                name="communities_userscope_place_matches_role",
            )
        ]

    def __str__(self):
        place = self.community or self.township
        label = self.get_role_display()
        return f"{self.user} · {label}" + (f" · {place}" if place else "")

    def clean(self):
        if self.role == Role.TOWNSHIP and not self.township_id:
            raise ValidationError({"township": _("Township staff need a township.")})
        if self.role == Role.CLERK and not self.community_id:
            raise ValidationError({"community": _("A community clerk needs a community.")})
        if self.role != Role.TOWNSHIP and self.township_id:
            raise ValidationError({"township": _("Only township staff have a township.")})
        if self.role != Role.CLERK and self.community_id:
            raise ValidationError({"community": _("Only community clerks have a community.")})
