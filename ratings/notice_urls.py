"""Routes being written."""

urlpatterns = []
