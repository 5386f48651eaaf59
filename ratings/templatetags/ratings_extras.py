"""Small display filters for the ratings pages."""

from django import template

from communities.models import LocalNameMixin
from ratings.scoring import tier_label

register = template.Library()


@register.filter
def local_name(obj):
    """The name in the page's language: `name_en` on an English page when it is set, else
    `name`. The rule of LocalNameMixin.local_name, for models without the mixin (Criterion)."""
    return LocalNameMixin.local_name.fget(obj)


@register.filter
def rating_label(rating):
    """A rating's tier as people say it: 规范社区, 三星级社区, 花园社区."""
    return tier_label(rating.tier, rating.stars)
