"""Views of monthly returns (being written)."""

urlpatterns = []
