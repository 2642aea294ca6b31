"""Offline alerts: tell a kit's owner once when it has gone quiet.

A kit is silent when it is active, has an owner, and sent nothing for more than its project's
`offline_after_hours` (or never sent anything and was registered longer ago than that). Its
owner gets ONE notification per silence (`notification_send`, kind "sensor_offline": in the
site, and by e-mail as the person prefers) with a link to the "is my sensor live?" page;
`Kit.offline_notified_at` records it, and `observations_store` clears it when data arrives,
so the next silence is told again. Run by Celery beat every 15 minutes
(`sensors.tasks.kits_offline_check_task`) or `manage.py sensors_offline_check`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from sensors.models import Kit, Project

logger = logging.getLogger(__name__)

NOTIFY_KIND = "sensor_offline"


def _silent(cutoff: datetime) -> Q:
    return Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, created_at__lt=cutoff)


def kits_offline_notify(*, now: datetime | None = None) -> int:
    """Notify the owners of kits that went silent; returns the number of notifications."""
    now = now or timezone.now()
    sent = 0
    thresholds = (Project.objects.filter(kits__state=Kit.State.ACTIVE)
                  .values_list("offline_after_hours", flat=True).distinct())
    for hours in sorted(set(thresholds)):
        cutoff = now - timedelta(hours=hours)
        candidates = (
            Kit.objects.filter(_silent(cutoff), project__offline_after_hours=hours,
                               state=Kit.State.ACTIVE, offline_notified_at__isnull=True,
                               owner__isnull=False, owner__is_active=True)
            .select_related("owner").order_by("pk")
        )
        for kit in candidates:
            if _notify_one(kit=kit, cutoff=cutoff, hours=hours, now=now):
                sent += 1
    return sent


def _notify_one(*, kit: Kit, cutoff: datetime, hours: int, now: datetime) -> bool:
    from portal.core.services import notification_send

    with transaction.atomic():
        # Claim the silence: a concurrent run, or data that arrived a moment ago, wins.
        claimed = Kit.objects.filter(
            _silent(cutoff), pk=kit.pk, state=Kit.State.ACTIVE,
            offline_notified_at__isnull=True,
        ).update(offline_notified_at=now)
        if not claimed:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            title, body = _message(kit=kit, hours=hours)
        notification_send(recipient=kit.owner, kind=NOTIFY_KIND, title=title, body=body,
                          url=kit_live_path(kit))
    return True


def _message(*, kit: Kit, hours: int) -> tuple[str, str]:
    if kit.last_seen_at is None:
        title = _("Your sensor “%(name)s” has not sent any data yet") % {"name": kit.name}
        body = _(
            "You registered your sensor “%(name)s” on %(date)s, but we have not received "
            "any measurements from it yet. Check that it has power and wifi, and that the "
            "firmware's “Send to own API” settings (server, path, user and password) match "
            "the ones we gave you. The page “Is my sensor live?” shows what arrives."
        ) % {"name": kit.name, "date": _when(kit.created_at)}
    else:
        title = _("Your sensor “%(name)s” has stopped sending data") % {"name": kit.name}
        body = _(
            "We have received nothing from your sensor “%(name)s” since %(date)s, more "
            "than %(hours)s hours ago. Check that it has power and that your wifi works; "
            "restarting it (unplug it for ten seconds) often helps. The page “Is my sensor "
            "live?” shows the last message we received. You get this message once: we will "
            "tell you again only if it goes quiet again after sending data."
        ) % {"name": kit.name, "date": _when(kit.last_seen_at), "hours": hours}
    return title, body


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def kit_live_path(kit: Kit) -> str:
    """The owner's "is my sensor live?" page. Falls back to its path while the page's URL
    is not registered (pages and alerts are built separately)."""
    try:
        return reverse("sensors:kit_live", kwargs={"public_id": kit.public_id})
    except NoReverseMatch:
        logger.warning("URL sensors:kit_live is missing; using the documented path")
        return f"/sensoren/mijn-sensoren/{kit.public_id}/"
