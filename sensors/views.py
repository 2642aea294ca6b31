"""Pages of the sensor networks: projects, joining, registering or claiming a kit, "is my
sensor live?", my sensors, a new device token, moving and leaving.

Views parse the input, check the permission, call one service or selector and render. The rules
live in sensors/services.py and rules.py; resident-only gates use `rules.has_perm` (Django's
`user.has_perm` lets a superuser pass everything). Someone else's kit is a 404, never a 403:
the pages do not tell which kits exist.
"""

import rules
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.core.forms import apply_validation_error
from portal.core.ratelimit import RateLimited, rate_limit_check
from portal.core.text import render_simple_text
from sensors import selectors, services
from sensors.areas import area_bounds, area_size_km
from sensors.forms import KitLeaveForm, KitRegisterForm, LocationForm
from sensors.models import LICENCE_URLS, Licence

CLAIM_RATE_ACTION = "sensors.kit_claim"


# --- small helpers -----------------------------------------------------------------------------


def _notice(request, *, heading, paragraphs, links=(), status=200):
    """A short page that explains why something cannot be done, and what can."""
    return render(request, "sensors/notice.html", {
        "heading": heading, "paragraphs": paragraphs, "links": links,
    }, status=status)


def _project_or_404(slug):
    project = selectors.project_for_page(slug=slug)
    if project is None:
        raise Http404
    return project


def _own_kit_or_404(request, public_id):
    kit = selectors.own_kit(user=request.user, public_id=public_id)
    if kit is None or not rules.has_perm("sensors.manage_own_kit", request.user, kit):
        raise Http404
    return kit


def _map_settings() -> dict:
    from django.conf import settings

    return {"tile_url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def _area_context(project) -> dict:
    south, west, north, east = area_bounds(project.area)
    width, height = area_size_km(project.area)
    return {
        "area_bounds": ",".join(f"{value:.6f}" for value in (south, west, north, east)),
        "area_box": {"south": south, "west": west, "north": north, "east": east,
                     "width_km": width, "height_km": height},
    }


def _licence(project) -> dict:
    return {"label": Licence(project.licence).label, "url": LICENCE_URLS.get(project.licence)}


def _consent_url(project, next_url: str) -> str:
    return (reverse("consent:give", kwargs={"purpose_code": project.consent_purpose_code})
            + "?" + urlencode({"next": next_url}))


def _participation_gate(request, project, next_url: str):
    """None when the person may take part in `project` now; else the response that explains
    why not or sends them where they can fix it (DigiD login, the consent page)."""
    from portal.consent.selectors import consent_has, current_text, purpose_get

    user = request.user
    if not user.is_authenticated:
        messages.info(request, _("Log in with DigiD (level midden or higher) to take part in a "
                                 "sensor project."))
        return redirect_to_login(next_url, reverse("digid:login"))
    if not rules.has_perm("sensors.join_project", user):
        if getattr(user, "is_resident", False):
            return _notice(
                request, heading=_("Log in with DigiD level midden"),
                paragraphs=[
                    _("Taking part in a sensor project needs DigiD level midden or higher: "
                      "your sensor is linked to your home."),
                    _("You logged in with DigiD level basis. Log out, then log in again with "
                      "the DigiD app or with an SMS code."),
                ],
                links=[(project.get_absolute_url(), _("Back to the project"))], status=403,
            )
        return _notice(
            request, heading=_("Sensor projects are for residents"),
            paragraphs=[
                _("Residents of the municipality take part in a sensor project after logging "
                  "in with DigiD (level midden or higher)."),
                _("You are logged in with an e-mail account, for organisations and staff. To "
                  "take part as a resident, log out and log in again with DigiD."),
            ],
            links=[(project.get_absolute_url(), _("Back to the project"))], status=403,
        )
    if not project.open_for_joining:
        return _notice(
            request, heading=_("This project is not taking new participants"),
            paragraphs=[_("%(project)s does not take new participants at the moment.") % {
                "project": project.name}],
            links=[(project.get_absolute_url(), _("Back to the project"))], status=403,
        )
    if not consent_has(user=user, purpose_code=project.consent_purpose_code):
        purpose = purpose_get(code=project.consent_purpose_code)
        if purpose is None or current_text(purpose=purpose) is None:
            return _notice(
                request, heading=_("Taking part is not possible yet"),
                paragraphs=[_("The municipality has not yet published the consent text for "
                              "this project. Please try again later.")],
                links=[(project.get_absolute_url(), _("Back to the project"))], status=503,
            )
        messages.info(request, _("Before you take part, read what happens with your data and "
                                 "give your consent. You then come back here."))
        return redirect(_consent_url(project, next_url))
    return None


def _no_store(response):
    """Pages with a secret (a device token, a claim code): never cached, never kept."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- projects ----------------------------------------------------------------------------------


@require_GET
def project_list(request):
    projects = list(selectors.projects_overview())
    return render(request, "sensors/project_list.html", {"projects": projects})


@require_GET
def project_detail(request, slug):
    project = _project_or_404(slug)
    return render(request, "sensors/project_detail.html", {
        "project": project,
        "description": render_simple_text(project.description),
        "partners": render_simple_text(project.partners),
        "quantities": list(project.quantities.all()),
        "licence": _licence(project),
        "pilot": selectors.project_public_pilot(project),
        "is_member": selectors.is_member(project=project, user=request.user),
        "map": _map_settings(),
        **_area_context(project),
    })


@require_GET
def project_manual(request, slug):
    project = _project_or_404(slug)
    return render(request, "sensors/project_manual.html", {
        "project": project,
        "manual": render_simple_text(project.manual),
        "firmware": selectors.firmware_settings(request),
    })


# --- joining and registering a kit -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join(request, slug):
    project = _project_or_404(slug)
    join_url = reverse("sensors:join", kwargs={"slug": project.slug})
    refused = _participation_gate(request, project, join_url)
    if refused is not None:
        return refused
    register_url = reverse("sensors:kit_register", kwargs={"slug": project.slug})
    if request.method == "GET":
        if selectors.is_member(project=project, user=request.user):
            return redirect(register_url)
        return render(request, "sensors/join.html", {"project": project})
    try:
        services.project_join(project=project, user=request.user)
    except ValidationError as error:
        return _notice(request, heading=_("You cannot take part"),
                       paragraphs=error.messages,
                       links=[(project.get_absolute_url(), _("Back to the project"))],
                       status=400)
    messages.success(request, _("You take part in %(project)s. Now register your sensor.") % {
        "project": project.name})
    return redirect(register_url)


@require_http_methods(["GET", "POST"])
def kit_register(request, slug):
    project = _project_or_404(slug)
    register_url = reverse("sensors:kit_register", kwargs={"slug": project.slug})
    refused = _participation_gate(request, project, register_url)
    if refused is not None:
        return refused
    if not selectors.is_member(project=project, user=request.user):
        return redirect("sensors:join", slug=project.slug)
    if request.method == "GET":
        return _render_register(request, project, KitRegisterForm())

    form = KitRegisterForm(request.POST)
    if not form.is_valid():
        return _render_register(request, project, form, status=400)
    data = form.cleaned_data
    fields = {"project": project, "user": request.user, "name": data["name"],
              "latitude": data["latitude"], "longitude": data["longitude"],
              "indoor": data["indoor"]}
    try:
        if form.claiming:
            try:
                rate_limit_check(request, CLAIM_RATE_ACTION)
            except RateLimited as limited:
                form.add_error("claim_code", limited.message)
                return _render_register(request, project, form, status=429)
            kit, token = services.kit_claim(claim_code=data["claim_code"], **fields)
        else:
            kit, token = services.kit_register(device_id=data["device_id"], **fields)
    except ValidationError as error:
        apply_validation_error(form, error)
        return _render_register(request, project, form, status=400)
    return _token_page(request, kit, token, first=True)


def _render_register(request, project, form, status=200):
    return render(request, "sensors/kit_register.html", {
        "project": project, "form": form, "map": _map_settings(), **_area_context(project),
    }, status=status)


def _token_page(request, kit, token, *, first: bool):
    response = render(request, "sensors/kit_token.html", {
        "kit": kit, "token": token, "first": first,
        "firmware": selectors.firmware_settings(request, kit),
    })
    return _no_store(response)


# --- my sensors ------------------------------------------------------------------------------


@require_GET
def my_kits(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kits = list(selectors.kits_of_user(user=request.user))
    memberships = list(selectors.memberships_of_user(user=request.user))
    with_kits = {kit.project_id for kit in kits}
    return render(request, "sensors/my_kits.html", {
        "kits": kits,
        "memberships_without_kit": [m for m in memberships if m.project_id not in with_kits],
    })


@require_GET
def kit_live(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kit = _own_kit_or_404(request, public_id)
    status = selectors.kit_live_status(kit=kit)
    response = render(request, "sensors/kit_live.html", {
        "kit": kit, "status": status, "auto_refresh": request.GET.get("auto") == "1",
        "firmware": selectors.firmware_settings(request, kit), "map": _map_settings(),
    })
    add_never_cache_headers(response)
    return response


@require_POST
def kit_token_rotate(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("sensors:kit_live", kwargs={"public_id": public_id}))
    kit = _own_kit_or_404(request, public_id)
    try:
        token = services.kit_token_rotate(kit=kit, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sensors:kit_live", public_id=kit.public_id)
    return _token_page(request, kit, token, first=False)


@require_http_methods(["GET", "POST"])
def kit_location(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kit = _own_kit_or_404(request, public_id)
    status = 200
    if request.method == "POST":
        form = LocationForm(request.POST)
        if form.is_valid():
            try:
                services.kit_location_set(kit=kit, by=request.user,
                                          latitude=form.cleaned_data["latitude"],
                                          longitude=form.cleaned_data["longitude"])
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The location of your sensor has been saved."))
                return redirect("sensors:kit_live", public_id=kit.public_id)
        status = 400
    else:
        form = LocationForm(initial={"latitude": kit.latitude, "longitude": kit.longitude})
    return render(request, "sensors/kit_location.html", {
        "kit": kit, "project": kit.project, "form": form, "map": _map_settings(),
        **_area_context(kit.project),
    }, status=status)


@require_http_methods(["GET", "POST"])
def kit_leave(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kit = _own_kit_or_404(request, public_id)
    status = 200
    if request.method == "POST":
        form = KitLeaveForm(request.POST)
        if form.is_valid():
            try:
                outcome = services.kit_leave(kit=kit, by=request.user,
                                             delete_data=form.delete_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _leave_message(kit, outcome))
                return redirect("sensors:my_kits")
        status = 400
    else:
        form = KitLeaveForm()
    return render(request, "sensors/kit_leave.html", {"kit": kit, "form": form}, status=status)


def _leave_message(kit, outcome) -> str:
    if outcome["deleted"]:
        text = _("“%(name)s” has been removed with all its measurements.")
    else:
        text = _("“%(name)s” has stopped. Its measurements stay as open data, without your "
                 "name or home address.")
    text %= {"name": kit.name}
    if outcome["left_project"]:
        text += " " + _("You no longer take part in %(project)s.") % {
            "project": kit.project.name}
    return text
