"""HTML views for notifications: the list under /meldingen/ and the preferences page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.core import services
from portal.core.forms import NotificationPreferenceForm
from portal.core.models import Notification, NotificationPreference

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user).only(
        "public_id", "title", "body", "url", "created_at", "read_at", "kind"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("pagina"))
    has_unread = any(not n.is_read for n in page.object_list)
    return render(
        request,
        "core/notification_list.html",
        {"page": page, "notifications": page.object_list, "has_unread": has_unread},
    )


@login_required
@require_POST
def notification_read(request, public_id):
    """Mark one of my notifications read and go to where it points (or back to the list)."""
    notification = get_object_or_404(Notification, public_id=public_id, recipient=request.user)
    services.notification_mark_read(notification=notification, user=request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request):
    preference = NotificationPreference.objects.filter(user=request.user).first()
    current = (
        preference.email_frequency
        if preference
        else NotificationPreference.EmailFrequency.IMMEDIATELY
    )
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST)
        if form.is_valid():
            services.notification_preference_set(
                user=request.user, email_frequency=form.cleaned_data["email_frequency"]
            )
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notification-preferences")
        status = 400
    else:
        form = NotificationPreferenceForm(initial={"email_frequency": current})
        status = 200
    return render(
        request,
        "core/notification_preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
        status=status,
    )


@login_required
@require_POST
def notification_test_send(request):
    """Send the current user a test notification (and, per their preference, an e-mail)."""
    services.notification_send(
        recipient=request.user,
        kind="test",
        title=_("Test notification"),
        body=_("This is a test notification you asked for. Notifications work."),
        url="/meldingen/",
    )
    messages.success(request, _("We sent you a test notification."))
    return redirect("notification-preferences")
