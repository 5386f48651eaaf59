import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Township


class CommunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or code"), method="search")
    township = django_filters.ModelChoiceFilter(
        label=_("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        empty_label=_("All townships"),
    )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(name_en__icontains=value)
        )
