"""Reads about organisations used in more than one place."""

from django.db.models import QuerySet

from portal.accounts.models import Membership, Organisation


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("name")


def organisation_members(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "user__display_name", "user__email")
    )


def organisations_of_user(*, user) -> QuerySet[Organisation]:
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).order_by("name")
