"""Forms of the sensor pages: registering or claiming a kit, moving it, leaving with it.

Forms parse the input; the rules (inside the project area, device id format and uniqueness,
the claim code) are the services', whose errors land on these forms via
`portal.core.forms.apply_validation_error`.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.forms import PortalForm
from sensors.models import Kit

COORDINATE_PLACES = Decimal("0.000001")


class CoordinateField(forms.DecimalField):
    """A latitude or longitude: a comma is read as a decimal point (Dutch keyboards), rounded
    to six decimals as stored. A text input: a browser's number input silently drops what it
    cannot parse, here the server says what is wrong."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, **kwargs):
        super().__init__(max_digits=None, decimal_places=None, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        value = super().to_python(value)
        if value is None:
            return None
        return value.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


def _latitude():
    return CoordinateField(
        label=_("Latitude"), min_value=-90, max_value=90,
        help_text=_("For example 52.53012. Filled in when you click on the map."),
        error_messages={"required": _("Give the latitude of your home, or click on the map."),
                        "invalid": _("Type the latitude as a number, for example 52.53012.")},
    )


def _longitude():
    return CoordinateField(
        label=_("Longitude"), min_value=-180, max_value=180,
        help_text=_("For example 6.06123."),
        error_messages={"required": _("Give the longitude of your home, or click on the map."),
                        "invalid": _("Type the longitude as a number, for example 6.06123.")},
    )


class LocationForm(PortalForm):
    latitude = _latitude()
    longitude = _longitude()


class KitRegisterForm(LocationForm):
    """A kit of one's own (device id) or one handed out by the municipality (claim code)."""

    name = forms.CharField(
        label=_("Name of your sensor"), max_length=Kit._meta.get_field("name").max_length,
        required=False,
        help_text=_("Only you see it, for example “Sensor at the front”. Others see the "
                    "street area, never your name."),
    )
    indoor = forms.TypedChoiceField(
        label=_("Where does the sensor hang?"),
        choices=[("no", _("Outside, for example on the wall or in the garden")),
                 ("yes", _("Inside"))],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the sensor hangs outside or inside.")},
    )
    device_id = forms.CharField(
        label=_("Device id (chip id)"), max_length=64, required=False,
        help_text=_("Your own sensor: the chip id of the sensor, for example 12345678 or "
                    "esp8266-12345678. The sensor shows it on its setup page."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    claim_code = forms.CharField(
        label=_("Claim code"), max_length=40, required=False,
        help_text=_("A sensor you got from the municipality: the code on its card, for "
                    "example ABCD-EFGH-JKLM."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    field_order = ["latitude", "longitude", "name", "indoor", "device_id", "claim_code"]

    def clean(self):
        cleaned = super().clean()
        device_id = (cleaned.get("device_id") or "").strip()
        claim_code = (cleaned.get("claim_code") or "").strip()
        if device_id and claim_code:
            self.add_error("device_id", _("Fill in the device id or the claim code, not both."))
        elif not device_id and not claim_code:
            self.add_error("device_id", _("Fill in the device id of your own sensor, or the "
                                          "claim code of a sensor from the municipality."))
        elif device_id and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Give your sensor a name."))
        return cleaned

    @property
    def claiming(self) -> bool:
        return bool((self.cleaned_data.get("claim_code") or "").strip())


class KitLeaveForm(PortalForm):
    DELETE = "delete"
    KEEP = "keep"

    data_choice = forms.ChoiceField(
        label=_("What should happen to the measurements of this sensor?"),
        choices=[
            (KEEP, _("Keep them as open data without my name: the sensor is unlinked from me, "
                     "my home address is erased, only the 100 m area stays with the "
                     "measurements.")),
            (DELETE, _("Delete them: every measurement of this sensor is removed for good.")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what should happen to the measurements.")},
    )

    @property
    def delete_data(self) -> bool:
        return self.cleaned_data["data_choice"] == self.DELETE
