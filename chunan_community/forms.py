"""What every form view of the portal binds its form to."""


def posted(request):
    """The form data of a POST, else None: a form is bound on every POST, an empty one too,
    so that it says what is missing (`request.POST or None` would leave it unbound)."""
    return request.POST if request.method == "POST" else None


def posted_files(request):
    """The uploaded files of a POST, else None (as `posted`)."""
    return request.FILES if request.method == "POST" else None
