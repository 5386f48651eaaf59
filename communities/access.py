"""Who is this user along the county → township → community tree?

Every scoped read in the portal and the admin starts here: `access_for(user)` reads the
user's `UserScope` once per request and `Access.q(path)` turns it into a filter.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

COUNTY = "county"
TOWNSHIP = "township"
CLERK = "clerk"
JUDGE = "judge"
PUBLIC = "public"

ROLE_LABELS = {
    COUNTY: _("County civil-affairs staff"),
    TOWNSHIP: _("Township staff"),
    CLERK: _("Community clerk"),
    JUDGE: _("Review-panel judge"),
    PUBLIC: _("Public"),
}


@dataclass(frozen=True)
class Access:
    role: str
    township_id: int | None = None
    community_id: int | None = None

    @property
    def is_county(self) -> bool:
        return self.role == COUNTY

    @property
    def keeps_registry(self) -> bool:
        """County, township and community staff: the three levels that keep records."""
        return self.role in (COUNTY, TOWNSHIP, CLERK)

    @property
    def sees_personal_data(self) -> bool:
        """Residents' personal records (households, volunteers) are for the community's own
        clerk and the county: township staff oversee figures, not people."""
        return self.role in (COUNTY, CLERK)

    @property
    def label(self):
        return ROLE_LABELS[self.role]

    def q(self, path: str = "") -> Q:
        """A filter keeping the rows whose community (reached by `path`) is in scope.

        `path` leads from the model to its Community ("" for Community itself,
        "community" for most records, "body__community" for a term).
        """
        prefix = f"{path}__" if path else ""
        if self.role == COUNTY:
            return Q()
        if self.role == TOWNSHIP:
            return Q(**{f"{prefix}township_id": self.township_id})
        if self.role == CLERK:
            return Q(**{f"{prefix}pk": self.community_id})
        return Q(pk__in=[])

    def township_q(self, path: str = "") -> Q:
        """A filter for township-level records (path leads to a Township)."""
        field = f"{path}_id" if path else "pk"
        if self.role == COUNTY:
            return Q()
        if self.role in (TOWNSHIP, CLERK):
            return Q(**{field: self.township_id})
        return Q(pk__in=[])

    def covers(self, community) -> bool:
        """Is this community (an instance) inside the scope?"""
        if community is None:
            return False
        if self.role == COUNTY:
            return True
        if self.role == TOWNSHIP:
            return community.township_id == self.township_id
        if self.role == CLERK:
            return community.pk == self.community_id
        return False

    def covers_township(self, township_id) -> bool:
        if self.role == COUNTY:
            return True
        return self.role in (TOWNSHIP, CLERK) and township_id == self.township_id


PUBLIC_ACCESS = Access(role=PUBLIC)


class _CountyOffice:
    """Not a person: the county office itself, for which the documents of the whole county
    are built (the yearly report, the statistics bulletin), outside any request. Handed to a
    read that takes a user, it sees every community, as county staff do. Never a request's
    user: nobody logs in as it, and it passes no permission check (no `has_perm`)."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None
    _chunan_access = Access(role=COUNTY)

    def __str__(self) -> str:
        return "county office"


COUNTY_OFFICE = _CountyOffice()


def access_for(user) -> Access:
    """The user's place in the tree, read once and kept on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return PUBLIC_ACCESS
    cached = getattr(user, "_chunan_access", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = Access(role=COUNTY)
    else:
        from communities.models import UserScope

        scope = (
            UserScope.objects.filter(user=user)
            .select_related("community")
            .only("role", "township_id", "community__township_id")
            .first()
        )
        if scope is None:
            access = PUBLIC_ACCESS
        elif scope.role == CLERK:
            access = Access(
                role=CLERK,
                township_id=scope.community.township_id,
                community_id=scope.community_id,
            )
        else:
            access = Access(role=scope.role, township_id=scope.township_id)
    user._chunan_access = access
    return access


def by_role(table: dict):
    """A function of a user giving `table`'s entry for their role, an empty set for a role
    the table does not name (what each app tells each role: the message settings' kinds)."""

    def of(user) -> set:
        return table.get(access_for(user).role, set())

    return of
