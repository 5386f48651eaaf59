from communities.access import access_for


def portal(request):
    """The visitor's place in the county tree, for the navigation."""
    return {"access": access_for(getattr(request, "user", None))}
