"""Forms of ideas for residents: the idea itself (with images), comments, reports, appeals.

Forms parse and check the input; the rules (lengths, bounds, consent, image content) are
checked again by the services, whose errors land on these forms via
`portal.core.forms.apply_validation_error`.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.consent.models import Purpose
from portal.core.forms import PortalForm
from portal.ideas.models import (
    BODY_MAX,
    COMMENT_MAX,
    STATEMENT_MAX,
    TITLE_MAX,
    Idea,
    ReasonCode,
    Theme,
)
from portal.ideas.selectors import neighbourhoods
from portal.ideas.services import AUTHOR_NAME_PURPOSE, IMAGE_MAX_BYTES

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
COORDINATE_PLACES = Decimal("0.00001")


class CoordinateField(forms.DecimalField):
    """A latitude or longitude: a comma is read as a decimal point (Dutch keyboards), and the
    value is rounded to five decimals (about a metre), as stored."""

    # A text input, not type="number": browsers drop a number they cannot parse (such as
    # "52,5" in an English browser) without telling anyone; here the server says what is wrong.
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, **kwargs):
        super().__init__(required=False, max_digits=None, decimal_places=None, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        value = super().to_python(value)
        if value is None:
            return None
        return value.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


def _model_label(name):
    return Idea._meta.get_field(name).verbose_name


class IdeaForm(PortalForm):
    """An idea: text, theme, place, the choice to show one's name, and new images.

    `image_slots` is the number of images that may still be added (at most 3 per idea); each
    slot is a file field `image_<n>` with its description `alt_<n>`.
    """

    title = forms.CharField(
        label=_("Title"), max_length=TITLE_MAX,
        help_text=_("Say in a few words what your idea is (at least 5 characters)."),
        error_messages={"required": _("Give your idea a title.")},
    )
    body = forms.CharField(
        label=_("Description"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("What is the problem, and what is your idea? At least 20 characters. "
                    "Plain text: an empty line starts a new paragraph; **bold**, *italic* and "
                    "lists with \"- \" at the start of a line work. Other markup is removed."),
        error_messages={"required": _("Describe your idea.")},
    )
    theme = forms.ChoiceField(
        label=_("Theme"), choices=Theme.choices, widget=forms.RadioSelect,
        help_text=_("Which part of city life is your idea about?"),
        error_messages={"required": _("Choose a theme."),
                        "invalid_choice": _("Choose one of the themes in the list.")},
    )
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood (optional)"), queryset=neighbourhoods(), required=False,
        empty_label=_("No particular neighbourhood"),
        error_messages={"invalid_choice": _("Choose a neighbourhood from the list.")},
    )
    latitude = CoordinateField(label=_("Latitude (optional)"))
    longitude = CoordinateField(label=_("Longitude (optional)"))
    show_author_name = forms.BooleanField(
        label=_("Show my name with this idea"), required=False,
        help_text=_("Without this, your idea is shown as from an “anonymous resident”. "
                    "Showing your name needs your consent."),
    )

    def __init__(self, *args, image_slots: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        south, west, north, east = settings.MAP_BOUNDS
        self.fields["latitude"].help_text = _(
            "For example 52.51234. Between %(south)s and %(north)s."
        ) % {"south": south, "north": north}
        self.fields["longitude"].help_text = _(
            "For example 6.08345. Between %(west)s and %(east)s."
        ) % {"west": west, "east": east}
        if not Purpose.objects.filter(code=AUTHOR_NAME_PURPOSE, active=True).exists():
            # The municipality has not set up this consent purpose: ideas are anonymous.
            del self.fields["show_author_name"]
        self.image_slots = max(0, image_slots)
        for number in range(1, self.image_slots + 1):
            self.fields[f"image_{number}"] = forms.FileField(
                label=_("Image %(number)s") % {"number": number}, required=False,
                widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
                help_text=_("JPEG, PNG or WebP, at most %(mb)s MB.") % {
                    "mb": IMAGE_MAX_BYTES // (1024 * 1024)},
            )
            self.fields[f"alt_{number}"] = forms.CharField(
                label=_("Description of image %(number)s") % {"number": number},
                required=False, max_length=200,
                help_text=_("Needed with an image: what does it show, for people who cannot "
                            "see it?"),
            )

    def image_pairs(self):
        """[(file field, description field)] for the template."""
        return [(self[f"image_{n}"], self[f"alt_{n}"]) for n in range(1, self.image_slots + 1)]

    def clean(self):
        cleaned = super().clean()
        for number in range(1, self.image_slots + 1):
            upload = cleaned.get(f"image_{number}")
            alt_text = (cleaned.get(f"alt_{number}") or "").strip()
            if upload and not alt_text and f"alt_{number}" not in self.errors:
                self.add_error(f"alt_{number}", _(
                    "Describe the image for people who cannot see it."))
            if alt_text and not upload and f"image_{number}" not in self.errors:
                self.add_error(f"image_{number}", _(
                    "Choose the image for this description. After an error on the page, "
                    "choose your images again: the browser does not keep them."))
        return cleaned

    def idea_fields(self) -> dict:
        """The idea's own fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in (
            "title", "body", "theme", "neighbourhood", "latitude", "longitude")}

    def uploads(self) -> list[tuple[int, object, str]]:
        """[(slot number, uploaded file, description)] of the images chosen."""
        chosen = []
        for number in range(1, self.image_slots + 1):
            upload = self.cleaned_data.get(f"image_{number}")
            if upload:
                chosen.append((number, upload, self.cleaned_data.get(f"alt_{number}", "")))
        return chosen

    @staticmethod
    def initial_for(idea: Idea) -> dict:
        return {
            "title": idea.title, "body": idea.body, "theme": idea.theme,
            "neighbourhood": idea.neighbourhood_id, "latitude": idea.latitude,
            "longitude": idea.longitude, "show_author_name": idea.show_author_name,
        }


class CommentForm(PortalForm):
    body = forms.CharField(
        label=_("Your comment"), max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Plain text; **bold**, *italic* and lists work. Be kind and stay on "
                    "topic."),
        error_messages={"required": _("Write a comment first.")},
    )
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)


class ReportForm(PortalForm):
    reason_code = forms.ChoiceField(
        label=_("What is wrong with it?"), choices=ReasonCode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason from the list."),
                        "invalid_choice": _("Choose a reason from the list.")},
    )
    explanation = forms.CharField(
        label=_("Explanation (optional)"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything that helps the moderator, for example which idea this one "
                    "duplicates."),
    )


class AppealForm(PortalForm):
    text = forms.CharField(
        label=_("Why should the decision change?"), max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("A moderator who did not take the first decision reads your appeal. You "
                    "can appeal only once."),
        error_messages={"required": _("Explain why the decision should change.")},
    )
