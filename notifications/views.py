"""A person's own pages: the inbox (站内消息), their contact details and how they want each
kind of message; and the password pages (reset by e-mail, change), Django's views in the
portal's look."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from chunan_community.client_address import client_address
from chunan_community.forms import posted
from chunan_community.paging import paginate
from notifications.forms import InboxFilter, PasswordResetForm, PreferencesForm, ProfileForm
from notifications.models import Message, Profile
from notifications.notify import unread_of

# ---------- The inbox ----------


@login_required
@require_safe
def inbox(request):
    """The user's messages, newest first: all or the unread, of one kind or all."""
    mine = Message.objects.filter(recipient=request.user).defer("body")
    filterset = InboxFilter(request.GET, queryset=mine)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "notifications/inbox.html",
        {"filter": filterset, "page": page, "unread": unread_of(request)},
    )


@login_required
@require_safe
def message(request, pk):
    """One message; opening it marks it read."""
    item = get_object_or_404(Message, pk=pk, recipient=request.user)
    if item.read_at is None:
        item.read_at = timezone.now()
        Message.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=item.read_at)
    return render(request, "notifications/message.html", {"message": item})


@login_required
@require_POST
def read_all(request):
    marked = Message.objects.filter(recipient=request.user).unread().update(read_at=timezone.now())
    if marked:
        messages.success(request, _("Every message is marked as read."))
    return redirect("notifications:inbox")


# ---------- Contact details and preferences ----------


@login_required
def account(request):
    """The user's contact details: e-mail, mobile and text messages, language."""
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(posted(request), instance=profile, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your contact details are saved."))
        return redirect("notifications:account")
    return render(
        request,
        "notifications/account.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def preferences(request):
    """How the user wants each kind of message."""
    form = PreferencesForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


# ---------- Passwords ----------


def _over_reset_limit(request) -> bool:
    """Has this address asked for CHUNAN_PASSWORD_RESETS_PER_HOUR resets in this hour?"""
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"password-reset:{address}:{hour}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    return count > settings.CHUNAN_PASSWORD_RESETS_PER_HOUR


class BadRequestOnErrors:
    """A rejected form answers 400, as the portal's own form pages do."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetView(BadRequestOnErrors, auth_views.PasswordResetView):
    """Ask for a link by e-mail (Django's view, open to the logged-out, in the portal's
    templates/registration/). The page after is the same whether the address belongs to an
    account or not; an address sends at most CHUNAN_PASSWORD_RESETS_PER_HOUR requests an
    hour (429 after that)."""

    form_class = PasswordResetForm

    def post(self, request, *args, **kwargs):
        if _over_reset_limit(request):
            form = self.get_form()
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Too many password resets were asked for from your address in the last "
                    "hour. Please try again later, or ask county staff."
                ),
            )
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(BadRequestOnErrors, auth_views.PasswordResetConfirmView):
    """Choose a new password from the e-mailed link (also the new account's first one)."""


class PasswordChangeView(BadRequestOnErrors, auth_views.PasswordChangeView):
    success_url = reverse_lazy("notifications:account")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)
