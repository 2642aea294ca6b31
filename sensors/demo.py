"""Demo: #SensHagen – Stadshagen, a citizen air-quality network in Zwolle (issue 5, item 8).

The story (Dialogic 2019 on #SensHagen; the anchors report §1): after a trial that measured the
air after the fireworks, residents of Stadshagen hang low-cost sensors on their homes; the
municipality, RIVM Samen Meten and Hogeschool Windesheim help; everyone sees the measurements
on a map. This module loads:

- the project "#SensHagen – Stadshagen" (slug `senshagen`): description, the Stadshagen area,
  PM10, PM2.5, temperature, humidity and air pressure (no NO2: the reference data has no NO2
  sensor model), partners, CC BY 4.0, consent purpose `sensor-project-participation` (loaded by
  portal.consent.demo), the installation manual of an airrohr, and the link to the pilot
  `senshagen-zwolle-luchtkwaliteit` of the pilot register (registry.demo);
- 40 kits (airrohr: SDS011 + BME280) at homes spread over the area, each owned by a resident
  who gave consent and joined (Membership), registered THROUGH the services (`project_join`,
  `kit_register`: exact location private, public point on the 100 m grid). Four owners are DigiD
  mock test residents, so logging in as them shows "My sensors":
    * Fatima el Amrani: "SensHagen 01", a normal kit. Its device token is published,
      "senshagen-demo-token-fatima" (DEMO_DEVICE_TOKEN), so a demo can push an airrohr message
      (HTTP Basic: her kit's device id and this token) and watch "Is my sensor live?";
    * Anouk van den Berg: "SensHagen 02", a normal kit;
    * Sanne Bakker: "SensHagen 03", its PM2.5 is STUCK at 11.4 µg/m³ for the last 3 days (the
      quality check flags those values as "stuck"; the charts leave them out);
    * Emre Yılmaz: "SensHagen 04", OFFLINE: its data stops 2 days before loading (Celery beat's
      offline check notifies him once, on its first run);
  the other 36 owners are demo residents (no e-mail, keyed on the pseudonym of a made-up test
  BSN, as DigiD residents are);
- 3 kits handed out by the municipality and not yet claimed (created by the demo civil servant
  with `kit_unclaimed_create`). Their claim codes are known, for demos of claiming:
      DEMO-CLAI-M001, DEMO-CLAI-M002, DEMO-CLAI-M003
  (log in as Fatima, register a sensor and fill in a claim code instead of a device id).

Readings: 30 days ending at the moment of loading, plausible for the Dutch climate of the time
of year: hourly values, and every 15 minutes in the last 2 days (plus one at "now", so Fatima's
kit is live right after loading). The weather is one deterministic model for the whole area
(slow pressure fronts; temperature with its peak mid-afternoon and a bigger swing in still high
pressure; humidity inverse to temperature, with a few foggy nights above 95 %; particulate
matter from the morning and evening rush on weekdays, wood stoves in the evening when it is
cold, and cold still nights), plus small differences per kit (near a busy road, neighbours with
a wood stove, a sunny wall) and seeded noise: the same moment always gives the same values.

New Year: the 30 days end now (November when this was written), so 1 January is not among them.
The demo therefore ALSO holds a window around the last New Year, 31 December 18:00 to
2 January 12:00 (local time), every 15 minutes, with the classic fireworks peak of particulate
matter between 00:00 and 02:00 on 1 January (PM2.5 up to ~500 µg/m³ at the kits nearest the
fireworks; a still, cold, dry night). A kit's page shows it under "last year" (daily or hourly
averages), the CSV download for those days shows every value. Between the window and the
30 days there are no data (the charts break the line there).

Storing, per kit: one multi-row INSERT of its readings (all new and plausible, so the checks of
`observations_store` have nothing to do; that path would also mark ~150,000 (datastream, hour)
buckets dirty one row each, and stamp the offline kit "seen now"), the summaries a live kit
has (each datastream's last value, the kit's `last_seen_at` = its last reading), and then
`aggregates.buckets_process` over all its hours: the quality checks (spike, stuck, humid) and
the hourly and daily aggregates, exactly what the Celery task runs for dirty buckets. So the
charts have data right away and the stuck values are flagged.

Speed (the 2-core development machine): ~4.5 s on SQLite and ~8.5 s on PostgreSQL for
~206,000 observations (7 s and 13 s while other work ran); a second run ~0.02 s.

Idempotent: the project by slug, kits by device id; a kit that exists is left alone with its
readings, so a second run adds nothing (and costs well under a second). The readings are not
topped up to the new "now" on a second run: to get fresh data, reset the database. Loaded only
with the DigiD mock (DIGID_MODE=mock), because of the published demo secrets.

Registration records (memberships, consents, kits, location history) carry the moment of
loading; the readings before it are the kits' history, as if uploaded from their backlog.

Size: 40 kits x 5 quantities x ~1,030 readings = ~206,000 observations. `load(days=...)` or
settings.SENSORS_DEMO_DAYS (default 30) make it smaller; 0 loads the project and the kits
without any readings (no New Year window either): for test suites that call load_demo only
for the other apps' demo data.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

SLUG = "senshagen"
PILOT_SLUG = "senshagen-zwolle-luchtkwaliteit"
PURPOSE_CODE = "sensor-project-participation"
CIVIL_SERVANT_EMAIL = "ambtenaar@demo.stadsmakers.nl"

# (quantity code, sensor code) of an airrohr with an SDS011 and a BME280.
STREAMS = (("pm25", "sds011"), ("pm10", "sds011"), ("temperature", "bme280"),
           ("humidity", "bme280"), ("pressure", "bme280"))
KIT_COUNT = 40
DAYS = 30
FINE_DAYS = 2                        # the last days at FINE_STEP
FINE_STEP = timedelta(minutes=15)
HOUR = timedelta(hours=1)
OFFLINE_SINCE = timedelta(days=2)
STUCK_SINCE = timedelta(days=3)
STUCK_VALUE = 11.4
SOFTWARE_VERSION = "NRZ-2024-135"
SEED = 2019                          # the year of the report; any constant will do
INSERT_CHUNK = 1000

# Published demo secrets (the demo only loads with the DigiD mock, never on a real site).
DEMO_CLAIM_CODES = ("DEMO-CLAI-M001", "DEMO-CLAI-M002", "DEMO-CLAI-M003")
DEMO_DEVICE_TOKEN = "senshagen-demo-token-fatima"  # noqa: S105

# Owners of kits 1-4 (DigiD mock residents with level midden or higher) and what is special.
TEST_OWNERS = (("fatima", "normal"), ("anouk", "normal"), ("sanne", "stuck"),
               ("emre", "offline"))
# Demo residents for kits 5-40: display names only (a DigiD account has no e-mail).
DEMO_RESIDENT_NAMES = (
    "Henk Kuipers", "Marloes ter Horst", "Youssef Benali", "Ineke Kamphuis", "Bart Slot",
    "Lotte Schuurman", "Gerrit Brinkman", "Aylin Kaya", "Wim Koster", "Esther Pelgrim",
    "Ruud van Wijk", "Naima Ouali", "Joost Hofman", "Annemiek Dijkhuis", "Tom Wessels",
    "Priya Ramdin", "Kees Oosterhuis", "Janneke Veldman", "Mohamed El Idrissi", "Femke Lubbers",
    "Arjen Stegeman", "Wendy Hulst", "Bas Nijenhuis", "Karin Mulder", "Dennis Tuinstra",
    "Sevda Öztürk", "Hans Klein Koerkamp", "Mirthe Bosch", "Peter Zwiers", "Ilse Groothuis",
    "Thijs Weijers", "Agnieszka Nowak", "Roel Schippers", "Yvonne Lassche", "Jeroen Vos",
    "Linda Ekkelkamp",
)
# Made-up BSNs (11-proef) from DigiD's test range, after the mock residents' 99999xxxx ones.
DEMO_BSN_PREFIX_START = 99999600
SPOTS = ("voortuin", "achtertuin", "balkon", "gevel", "schuur", "dakkapel", "carport",
         "tuinhek")

ZONE = ZoneInfo("Europe/Amsterdam")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

# Stadshagen (Zwolle, north-west of the centre, between the railway to Kampen and the Zwarte
# Water): a simplified outline, [longitude, latitude] as GeoJSON wants it.
AREA = {
    "type": "Polygon",
    "coordinates": [[
        [6.0360, 52.5228], [6.0470, 52.5212], [6.0585, 52.5206], [6.0700, 52.5218],
        [6.0790, 52.5240], [6.0860, 52.5300], [6.0875, 52.5365], [6.0840, 52.5432],
        [6.0760, 52.5478], [6.0655, 52.5495], [6.0530, 52.5488], [6.0430, 52.5462],
        [6.0345, 52.5410], [6.0315, 52.5330], [6.0360, 52.5228],
    ]],
}

PROJECT = {
    "name": "#SensHagen – Stadshagen",
    "summary": (
        "Bewoners van Stadshagen meten zelf de lucht rond hun huis: fijnstof, temperatuur, "
        "luchtvochtigheid en luchtdruk. Iedereen ziet de metingen op de kaart."
    ),
    "description": (
        "In Stadshagen hangen bewoners een kleine meetkast aan hun huis. De sensor meet "
        "fijnstof (PM10 en PM2,5), de temperatuur, de luchtvochtigheid en de luchtdruk. Hij "
        "stuurt de metingen via de wifi van de bewoner naar deze site. Zo zie je hoe het klimaat "
        "en de lucht in je eigen straat zijn, en niet alleen bij een meetstation ver weg.\n\n"
        "**Hoe het begon.** Na een proef met metingen rond oud en nieuw wilden bewoners meer "
        "weten: hoe vies is de lucht na het vuurwerk, en hoe snel is het weer schoon? Uit die "
        "proef kwam #SensHagen. Stadshagen heeft ook vaak last van wateroverlast en hitte. "
        "Daarom meten we ook temperatuur en luchtvochtigheid.\n\n"
        "**Wat je ermee kunt.** Op de kaart klik je op een sensor. Dan zie je hoe de waarden "
        "veranderen per uur en per dag. Je kunt alle metingen downloaden. Ze zijn open data: "
        "iedereen mag ze gebruiken, als je de bron noemt.\n\n"
        "**Je privacy.** Je naam en je adres tonen we nooit. Op de kaart staat je sensor op "
        "ongeveer 100 meter nauwkeurig. Alleen jij ziet de precieze plek.\n\n"
        "**Samen leren.** Op informatieavonden laten we zien hoe je met de metingen werkt. "
        "De gemeente gebruikt de resultaten voor haar beleid voor lucht en klimaat, en vertelt "
        "wat ze ermee doet.\n\n"
        "Meedoen is gratis en vrijwillig. Je kunt altijd stoppen."
    ),
    "partners": (
        "- **Gemeente Zwolle** (Smart Zwolle): start het project, betaalt de sensorkits en "
        "organiseert de informatieavonden. Belang: inzicht in het klimaat van de wijk, samen "
        "met bewoners.\n"
        "- **RIVM Samen Meten**: advies over de sensoren en de kwaliteit van de metingen; de "
        "metingen zijn ook te zien op het Samen Meten-dataportaal. Belang: meer metingen en "
        "onderzoek naar goedkope sensoren.\n"
        "- **Hogeschool Windesheim**: studenten helpen bij het bouwen en ophangen van de "
        "sensoren en onderzoeken de data. Belang: onderwijs en onderzoek.\n"
        "- **Bewoners van Stadshagen**: hangen de sensor aan hun huis en gebruiken hun eigen "
        "wifi. Belang: weten hoe schoon de lucht in hun straat is."
    ),
    "manual": (
        "Deze handleiding is voor de airRohr-sensor van Sensor.Community: een klein bordje "
        "met wifi (NodeMCU ESP8266), een fijnstofsensor (SDS011) en een sensor voor "
        "temperatuur, luchtvochtigheid en luchtdruk (BME280).\n\n"
        "**Wat heb je nodig?**\n\n"
        "- de sensorkit en een USB-voeding (5 volt);\n"
        "- wifi bij je huis, met de naam en het wachtwoord van je wifinetwerk;\n"
        "- een computer met een USB-kabel (alleen als je de firmware zelf installeert);\n"
        "- een telefoon of laptop om de sensor in te stellen.\n\n"
        "**Stap 1. Zet de firmware op de sensor.** Heb je de kit van de gemeente gekregen? Dan "
        "is dit al gedaan: ga naar stap 2. Anders: download het programma *airRohr Flasher* "
        "van [Sensor.Community](https://sensor.community/nl/sensors/airrohr/). Sluit de sensor "
        "met de USB-kabel aan op je computer. Kies in het programma de nieuwste firmware in het "
        "Nederlands en klik op *Upload*. Wacht tot het programma zegt dat het klaar is.\n\n"
        "**Stap 2. Maak verbinding met de sensor.** Steek de USB-voeding in het stopcontact. "
        "Na ongeveer een minuut maakt de sensor een eigen wifinetwerk met de naam "
        "**airRohr-** en een nummer, bijvoorbeeld *airRohr-12345678*. Dat nummer is de chip-id "
        "van je sensor: schrijf het op. Maak met je telefoon verbinding met dit netwerk. Het "
        "wachtwoord is *airrohrcfg*. Opent de instelpagina niet vanzelf? Ga dan in je browser "
        "naar http://192.168.4.1.\n\n"
        "**Stap 3. Verbind de sensor met je eigen wifi.** Kies op de instelpagina je eigen "
        "wifinetwerk en typ het wachtwoord. Sla nog niets op: doe eerst stap 4 en 5.\n\n"
        "**Stap 4. Meld je sensor aan op deze site.** Log in met DigiD en doe mee met "
        "#SensHagen: de knop staat op de projectpagina. Meld daarna je sensor aan. Vul de "
        "chip-id in (bijvoorbeeld esp8266-12345678) en kies op de kaart waar je huis is. Je "
        "krijgt dan één keer een **apparaatsleutel**. Schrijf die op of kopieer hem: we laten "
        "hem maar één keer zien.\n\n"
        "**Stap 5. Stel in waar de sensor zijn metingen naartoe stuurt.** Ga op de instelpagina "
        "van de sensor naar het tabblad *APIs*. Zet een vinkje bij *Send data to own API* en "
        "vul in:\n\n"
        "1. *Server*: het adres van deze website, zonder https:// (zie de instellingen onder "
        "deze handleiding);\n"
        "2. *Path*: /api/v1/sensors/push/sensor-community/\n"
        "3. *Port*: 443, en zet een vinkje bij HTTPS (tenzij de instellingen hieronder iets "
        "anders zeggen);\n"
        "4. *User*: je apparaat-id, bijvoorbeeld esp8266-12345678;\n"
        "5. *Password*: je apparaatsleutel uit stap 4.\n\n"
        "Klik op *Save and restart*. De sensor start opnieuw en maakt verbinding met je wifi.\n\n"
        "**Stap 6. Hang de sensor op.** Hang hem buiten, op 1,5 tot 3 meter hoogte, bijvoorbeeld "
        "aan de gevel of op je balkon. Houd afstand van een afzuigkap, schoorsteen of de uitlaat "
        "van je cv-ketel. Hang hem uit de volle zon. De opening van de buis wijst naar beneden, "
        "zodat er geen regen in komt. De wifi moet op die plek goed genoeg zijn.\n\n"
        "**Stap 7. Kijk of het werkt.** Ga naar *Mijn sensoren* en open je sensor. Daar zie "
        "je of er metingen binnenkomen: binnen vijf minuten zie je de eerste. Zie je na tien "
        "minuten nog niets? Kijk of de sensor stroom heeft, of je wifi werkt, en of de "
        "instellingen van stap 5 precies kloppen. Lukt het niet? Kom naar de inloop in het "
        "wijkcentrum of mail het projectteam."
    ),
}


# --- the weather of Stadshagen (one deterministic model for the whole area) ----------------


def _bump(hour: float, centre: float, width: float) -> float:
    """A bell around `centre` o'clock (wrapping round midnight)."""
    distance = abs(hour - centre) % 24
    distance = min(distance, 24 - distance)
    return math.exp(-0.5 * (distance / width) ** 2)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _fireworks(local: datetime) -> float:
    """PM2.5 added by fireworks (µg/m³ per unit of a kit's fireworks exposure, ~1 at the
    peak) around New Year: a little before midnight, then the peak at 00:00-02:00, slowly
    fading over the next hours. 0 outside 31 December 18:00 - 2 January 12:00."""
    if (local.month, local.day) == (12, 31):
        new_year = datetime(local.year + 1, 1, 1, tzinfo=ZONE)
    elif local.month == 1 and local.day <= 2:
        new_year = datetime(local.year, 1, 1, tzinfo=ZONE)
    else:
        return 0.0
    hours = (local - new_year).total_seconds() / 3600
    if hours < -6 or hours > 36:
        return 0.0
    if hours < 0:
        return (2 + 22 * math.exp(hours)) / 500
    peak = (1 - math.exp(-hours / 0.35)) * math.exp(-max(0.0, hours - 0.75) / 1.6)
    return (peak * 500 + 22 * math.exp(-hours)) / 500


@dataclass(frozen=True)
class City:
    """The area's weather and pollution at one moment, before the kit's own differences."""

    temperature: float
    humidity: float
    pressure: float
    background: float   # PM2.5 of the region and still nights
    traffic: float      # PM2.5 from the rush hours
    stoves: float       # PM2.5 from wood stoves in the evening
    fireworks: float    # relative fireworks peak (about 1 at its highest)


def city(moment: datetime) -> City:
    local = moment.astimezone(ZONE)
    hour = local.hour + local.minute / 60
    days = (moment - EPOCH).total_seconds() / 86400
    day_of_year = local.timetuple().tm_yday
    climate = 10.2 - 7.5 * math.cos(2 * math.pi * (day_of_year - 20) / 365.25)
    front = (9 * math.sin(2 * math.pi * days / 6.3 + 0.7)
             + 6 * math.sin(2 * math.pi * days / 2.7 + 2.1)
             + 3 * math.sin(2 * math.pi * days / 11.0))
    still = _clamp((front + 4) / 14, 0, 1)            # 0 windy and wet, 1 still high pressure
    rain = max(0.0, math.sin(2 * math.pi * days / 3.1 + 0.4)) ** 8
    mean = climate + 1.2 * (1 - still) - 1.8 * still + 1.4 * math.sin(2 * math.pi * days / 8.7)
    swing = 1.6 + 2.6 * still
    temperature = mean + swing * math.cos(2 * math.pi * (hour - 14.5) / 24)
    humidity = 80 - 3.0 * (temperature - mean) + 5 * (1 - still) - 3 * still + 9 * rain
    fireworks = _fireworks(local)
    if fireworks:
        # New Year's night: cold, still and dry.
        still, temperature, humidity = 1.0, min(temperature, 3.0), min(humidity, 86.0)
    if humidity > 91:
        humidity = 91 + (humidity - 91) * 0.4
    heating = _clamp((13 - mean) / 8, 0, 1.3)
    weekday = local.weekday() < 5
    traffic = (3.5 * _bump(hour, 8.0, 1.6) + 3.0 * _bump(hour, 17.5, 1.8) if weekday
               else 1.5 * _bump(hour, 13.0, 3.0))
    return City(
        temperature=temperature,
        humidity=humidity,
        pressure=1013 + front,
        background=3.5 + 14 * still ** 1.5 + 1.5 * heating + 6 * still * _bump(hour, 3, 3),
        traffic=traffic,
        stoves=9 * heating * (0.5 + still) * _bump(hour, 20.5, 2.5),
        fireworks=fireworks,
    )


# --- the kits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KitPlan:
    number: int
    owner: str                  # a TEST_RESIDENTS key, or "demo-<n>"
    role: str                   # normal, stuck, offline
    device_id: str
    name: str
    latitude: float
    longitude: float
    level: float                # how much of the background reaches it
    traffic: float              # near a busy road
    stoves: float               # neighbours with a wood stove
    fireworks: float            # PM2.5 at the fireworks peak
    temperature: float          # offsets of its sensors
    humidity: float
    pressure: float


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def kit_plans(count: int = KIT_COUNT) -> list[KitPlan]:
    """The demo kits: the same every time (seeded)."""
    from sensors.areas import area_bounds, point_in_area

    rng = random.Random(SEED)  # noqa: S311 - seeded on purpose: the same demo every time
    south, west, north, east = area_bounds(AREA)
    spots: list[tuple[float, float]] = []
    while len(spots) < count:
        point = (round(rng.uniform(south, north), 6), round(rng.uniform(west, east), 6))
        if point_in_area(AREA, *point) and all(_metres(point, other) > 180 for other in spots):
            spots.append(point)
    device_numbers: set[int] = set()
    while len(device_numbers) < count + len(DEMO_CLAIM_CODES):
        device_numbers.add(rng.randrange(1_000_000, 16_777_216))  # a 24-bit ESP8266 chip id
    devices = sorted(device_numbers, key=lambda _n: rng.random())
    owners = list(TEST_OWNERS) + [(f"demo-{n}", "normal") for n in range(count)]
    plans = []
    for number, ((lat, lon), (owner, role)) in enumerate(zip(spots, owners, strict=False),
                                                          start=1):
        plans.append(KitPlan(
            number=number, owner=owner, role=role,
            device_id=f"esp8266-{devices[number - 1]}",
            name=f"SensHagen {number:02d} – {rng.choice(SPOTS)}",
            latitude=lat, longitude=lon,
            level=rng.uniform(0.85, 1.15), traffic=rng.uniform(0.4, 1.8),
            stoves=rng.uniform(0.3, 1.9), fireworks=rng.uniform(300, 520),
            temperature=rng.gauss(0, 0.5), humidity=rng.gauss(0, 1.2),
            pressure=rng.gauss(0, 0.5),
        ))
    return plans


def unclaimed_device_ids(count: int = KIT_COUNT) -> list[str]:
    """Device ids of the kits the municipality hands out (not among the owned ones)."""
    rng = random.Random(SEED + 1)  # noqa: S311 - seeded demo data
    taken = {plan.device_id for plan in kit_plans(count)}
    found: list[str] = []
    while len(found) < len(DEMO_CLAIM_CODES):
        device_id = f"esp8266-{rng.randrange(1_000_000, 16_777_216)}"
        if device_id not in taken and device_id not in found:
            found.append(device_id)
    return found


# --- the readings ---------------------------------------------------------------------------


def last_new_year(now: datetime) -> datetime:
    """Midnight (local) of the last 1 January before `now`."""
    local = now.astimezone(ZONE)
    return datetime(local.year, 1, 1, tzinfo=ZONE)


def reading_times(now: datetime, days: int) -> list[datetime]:
    """Hourly for `days` days until FINE_DAYS ago, then every FINE_STEP, then `now`; and
    every FINE_STEP from 31 December 18:00 to 2 January 12:00 around the last New Year."""
    end = now.astimezone(UTC).replace(microsecond=0)
    start = (end - timedelta(days=days)).replace(minute=0, second=0)
    fine = max(start, (end - timedelta(days=FINE_DAYS)).replace(minute=0, second=0))
    times = set()
    moment = start
    while moment < fine:
        times.add(moment)
        moment += HOUR
    while moment <= end:
        times.add(moment)
        moment += FINE_STEP
    times.add(end)
    new_year = last_new_year(end)
    moment = (new_year - timedelta(hours=6)).astimezone(UTC)
    stop = (new_year + timedelta(hours=36)).astimezone(UTC)
    while moment <= min(stop, end):
        times.add(moment)
        moment += FINE_STEP
    return sorted(times)


def kit_values(plan: KitPlan, times: list[datetime], weather: list[City], *,
               now: datetime) -> dict[str, list[tuple[datetime, float]]]:
    """quantity code -> [(time, value)] of one kit, in the quantities' units."""
    rng = random.Random(f"{SEED}-{plan.device_id}")  # noqa: S311 - seeded demo data
    stuck_from = now - STUCK_SINCE
    values: dict[str, list[tuple[datetime, float]]] = {code: [] for code, _s in STREAMS}
    for moment, here in zip(times, weather, strict=True):
        humidity = _clamp(here.humidity + plan.humidity + rng.gauss(0, 0.6), 20, 99.5)
        wet = 1 + 0.6 * max(0.0, (humidity - 80) / 20) ** 2      # the SDS011 reads high
        pm25 = (here.background * plan.level + here.traffic * plan.traffic
                + here.stoves * plan.stoves) * wet
        pm25 = max(0.0, pm25 * math.exp(rng.gauss(0, 0.06)) + rng.gauss(0, 0.2))
        coarse = max(0.0, pm25 * 0.45 + 2.5 + rng.gauss(0, 0.6))
        fireworks = here.fireworks * plan.fireworks * math.exp(rng.gauss(0, 0.05))
        pm10 = pm25 + coarse + fireworks * 1.25
        pm25 += fireworks
        if plan.role == "stuck" and moment >= stuck_from:
            pm25 = STUCK_VALUE
        values["pm25"].append((moment, round(pm25, 1)))
        values["pm10"].append((moment, round(pm10, 1)))
        values["temperature"].append(
            (moment, round(here.temperature + plan.temperature + rng.gauss(0, 0.12), 2)))
        values["humidity"].append((moment, round(humidity, 2)))
        values["pressure"].append(
            (moment, round(here.pressure + plan.pressure + rng.gauss(0, 0.04), 2)))
    return values


# --- loading --------------------------------------------------------------------------------


def _valid_bsn(prefix: int) -> str | None:
    digits = [int(c) for c in f"{prefix:08d}"]
    check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
    return None if check == 10 else f"{prefix:08d}{check}"


def demo_bsns(count: int) -> list[str]:
    """`count` made-up BSNs that pass the 11-proef, in DigiD's test range (999996xxx)."""
    found, prefix = [], DEMO_BSN_PREFIX_START
    while len(found) < count:
        bsn = _valid_bsn(prefix)
        if bsn:
            found.append(bsn)
        prefix += 1
    return found


def _residents(count: int) -> dict[str, object]:
    """Owner key -> account (the DigiD mock's test residents, then the demo residents),
    with the assurance level a DigiD login gives them (as the middleware sets it)."""
    from portal.accounts.assurance import AssuranceLevel
    from portal.accounts.digid_mock import mock_resident_get
    from portal.accounts.models import User

    wanted = [(key, mock_resident_get(key=key)) for key, _role in TEST_OWNERS]
    people = {key: (resident.bsn, resident.name, str(resident.level)) for key, resident in wanted}
    extra = max(0, count - len(TEST_OWNERS))
    for n, bsn in enumerate(demo_bsns(extra)):
        people[f"demo-{n}"] = (bsn, DEMO_RESIDENT_NAMES[n % len(DEMO_RESIDENT_NAMES)],
                               AssuranceLevel.MIDDEN.value)
    accounts = {}
    for key, (bsn, name, level) in people.items():
        try:
            user = User.digid_objects.get_by_bsn(bsn)
        except User.DoesNotExist:
            user = User.digid_objects.digid_create(bsn, display_name=name)
        user.assurance_level = level
        accounts[key] = user
    return accounts


def _project():
    """The project (made once; left alone afterwards), linked to the register's pilot."""
    from registry.models import Pilot
    from sensors.models import ObservedProperty, Project

    project = Project.objects.filter(slug=SLUG).first()
    if project is None:
        project = Project.objects.create(slug=SLUG, area=AREA, consent_purpose_code=PURPOSE_CODE,
                                         **PROJECT)
        project.quantities.set(ObservedProperty.objects.filter(
            code__in=[code for code, _sensor in STREAMS]))
    if project.pilot_id is None:
        pilot = Pilot.objects.filter(slug=PILOT_SLUG).first()
        if pilot is not None:
            project.pilot = pilot
            project.save(update_fields=["pilot"])
    return project


def _consent_text():
    from portal.consent.models import Purpose
    from portal.consent.selectors import current_text

    purpose = Purpose.objects.filter(code=PURPOSE_CODE, active=True).first()
    text = current_text(purpose=purpose) if purpose is not None else None
    if text is None:
        raise ImproperlyConfigured(
            f"The consent purpose {PURPOSE_CODE!r} has no published text: load "
            "portal.consent.demo first (manage.py load_demo does).")
    return text


def _kit_register(project, plan: KitPlan, user, text, *, now: datetime):
    """Consent, joining and registering, as the resident does on the site."""
    from portal.consent.selectors import consent_has
    from portal.consent.services import consent_grant
    from sensors import services

    if not consent_has(user=user, purpose_code=PURPOSE_CODE):
        consent_grant(user=user, text=text, method="web", assurance_level=user.assurance_level)
    services.project_join(project=project, user=user)
    kit, _token = services.kit_register(
        project=project, user=user, device_id=plan.device_id, name=plan.name,
        latitude=plan.latitude, longitude=plan.longitude, now=now)
    changes = {"software_version": SOFTWARE_VERSION}
    if plan.owner == "fatima":
        changes["token_hash"] = services.secret_hash(DEMO_DEVICE_TOKEN)
    for field, value in changes.items():
        setattr(kit, field, value)
    kit.save(update_fields=list(changes))
    return kit


def _observations_insert(rows: list[tuple]) -> None:
    """One multi-row INSERT per chunk of (datastream, time, result) rows. The demo's values
    are plausible and new (quality 0), so the checks of `observations_store` have nothing to
    do; the quality flags come from the aggregates run that follows."""
    from django.db import connection

    from sensors.models import Observation

    table = connection.ops.quote_name(Observation._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (datastream_id, phenomenon_time, result, quality) "  # noqa: S608 - fixed names
                f"VALUES {', '.join(['(%s, %s, %s, 0)'] * len(chunk))}",
                [value for ds, moment, result in chunk for value in (ds, adapt(moment), result)],
            )


def _readings_store(kit, plan: KitPlan, times, weather, *, now: datetime):
    """Insert the kit's readings, set the summaries a live kit would have (last value per
    datastream, last seen), then judge and aggregate them: `aggregates.buckets_process`, what
    the Celery task runs for the buckets `observations_store` marks dirty."""
    from sensors import aggregates, services
    from sensors.models import Datastream, Kit

    if plan.role == "offline":
        pairs = [(t, w) for t, w in zip(times, weather, strict=True) if t <= now - OFFLINE_SINCE]
        times, weather = [t for t, _w in pairs], [w for _t, w in pairs]
    streams = {code: services.datastream_for(kit=kit, property_code=code, sensor_code=sensor)
               for code, sensor in STREAMS}
    hours = {moment.replace(minute=0, second=0) for moment in times}
    rows = []
    buckets = {}
    for code, series in kit_values(plan, times, weather, now=now).items():
        stream = streams[code]
        rows.extend((stream.pk, moment, value) for moment, value in series)
        Datastream.objects.filter(pk=stream.pk).update(
            first_time=series[0][0], last_time=series[-1][0], last_result=series[-1][1])
        buckets[stream.pk] = hours
    _observations_insert(rows)
    Kit.objects.filter(pk=kit.pk).update(last_seen_at=times[-1])
    return len(rows), aggregates.buckets_process(buckets)


def _unclaimed(project, count: int) -> int:
    from portal.accounts.models import User
    from sensors import services
    from sensors.models import Kit

    made = 0
    for number, (device_id, code) in enumerate(
            zip(unclaimed_device_ids(count), DEMO_CLAIM_CODES, strict=True), start=1):
        if Kit.objects.filter(device_id=device_id).exists():
            continue
        civil_servant = User.objects.filter(email=CIVIL_SERVANT_EMAIL).first()
        if civil_servant is None:
            raise ImproperlyConfigured(
                f"{CIVIL_SERVANT_EMAIL} is missing: load portal.accounts.demo first.")
        kit, _random_code = services.kit_unclaimed_create(
            project=project, device_id=device_id, name=f"Gemeente-kit {number}",
            by=civil_servant)
        # A known code instead of the random one, so a demo can claim it.
        Kit.objects.filter(pk=kit.pk).update(claim_code_hash=services.secret_hash(code))
        made += 1
    return made


def load(*, days: int | None = None, count: int = KIT_COUNT, now: datetime | None = None
         ) -> str:
    """Load the #SensHagen demo (see the module docstring). Returns a one-line summary."""
    from sensors import feeds, partitions, reference
    from sensors.models import Kit

    if settings.DIGID_MODE != "mock":
        raise ImproperlyConfigured("The sensors demo is only loaded with DIGID_MODE=mock.")
    days = days if days is not None else getattr(settings, "SENSORS_DEMO_DAYS", DAYS)
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    started = time.monotonic()
    reference.ensure()
    project = _project()
    plans = [plan for plan in kit_plans(count)
             if not Kit.objects.filter(device_id=plan.device_id).exists()]
    stored = hours = days_done = flagged = 0
    if plans:
        text = _consent_text()
        people = _residents(count)
        times = reading_times(now, days) if days > 0 else []
        weather = [city(moment) for moment in times]
        if times:
            # PostgreSQL: the monthly partitions the readings go to (a no-op elsewhere).
            partitions.partitions_ensure(since=times[0].date(), today=now.date())
        for plan in plans:
            with transaction.atomic():
                kit = _kit_register(project, plan, people[plan.owner], text, now=now)
                if not times:
                    continue
                rows, processed = _readings_store(kit, plan, times, weather, now=now)
            stored += rows
            hours += processed.hours
            days_done += processed.days
            flagged += processed.flags_changed
    unclaimed = _unclaimed(project, count)
    if plans or unclaimed:
        feeds.map_feed_invalidate()
    total = Kit.objects.filter(project=project).count()
    return (f"project {SLUG}: {len(plans)} kits added ({total} in the project), {unclaimed} "
            f"unclaimed kits added, {stored} observations, {hours} hourly and {days_done} "
            f"daily aggregates, {flagged} hours with quality flags; "
            f"{time.monotonic() - started:.1f} s")
