"""Reference rows: the quantities (ObservedProperty) and sensor models (Sensor) that the ingest
paths map onto (sensors/airrohr.py for the airrohr firmware). Idempotent: rows are created or
brought up to date by `code`, so running it again changes nothing.

* Results are stored in the quantity's unit (pressure in hPa: the firmware sends Pa).
* `definition` / `unit_definition` are URIs: EEA air-quality pollutant vocabulary, the CF
  standard names (NERC P07), QUDT units and quantity kinds.
* `valid_min` / `valid_max`: the plausible range; values outside it are stored with the
  OUT_OF_RANGE flag. Humidity, temperature, pressure, PM10 and PM2.5 follow the plausibility
  checks of the Sensor.Community map (feinstaub-map-v2 `checkValues`).
* `scale`: ascending colour classes for the map, `[{"from", "colour", "label"}, ...]`: a value
  takes the colour of the last class whose `from` it reaches. Particulate matter, NO2 and O3 use
  the six classes and colours of the EEA European Air Quality Index (2017 bands); PM1 and PM4
  have no official classes and borrow the PM2.5 ones. Temperature, humidity, pressure and noise
  use the Sensor.Community map's scales. Labels are English msgids (translate on display).

Names and labels are English msgids (marked for translation below): pages show
`gettext(quantity.name)`; SensorThings clients get the international English name.

This migration depends on 0004_importsource only because that migration was written first
against 0002: one line of history, so `migrate` never sees two leaf nodes.
"""

from django.db import migrations
from django.utils.translation import gettext_noop as N_

QUDT = "http://qudt.org/vocab/unit/"
EEA = "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/"
CF = "http://vocab.nerc.ac.uk/collection/P07/current/"

EEA_COLOURS = ["#50F0E6", "#50CCAA", "#F0E641", "#FF5050", "#960032", "#7D2181"]
EEA_LABELS = [N_("Good"), N_("Fair"), N_("Moderate"), N_("Poor"), N_("Very poor"),
              N_("Extremely poor")]


def eea(*bounds):
    """Six EEA index classes starting at 0 and at each bound."""
    starts = (0, *bounds)
    return [{"from": start, "colour": colour, "label": label}
            for start, colour, label in zip(starts, EEA_COLOURS, EEA_LABELS, strict=True)]


def stepped(starts, colours):
    return [{"from": start, "colour": colour, "label": ""}
            for start, colour in zip(starts, colours, strict=True)]


PM25_CLASSES = eea(10, 20, 25, 50, 75)
PM10_CLASSES = eea(20, 40, 50, 100, 150)
NOISE = stepped([0, 20, 40, 60, 80, 100],
                ["#00528F", "#6DBCFF", "#AFF474", "#F4E60B", "#F47A0B", "#C41A0A"])

UG_M3 = {"unit_name": "microgram per cubic metre", "unit_symbol": "µg/m³",
         "unit_definition": QUDT + "MicroGM-PER-M3"}
DBA = {"unit_name": "A-weighted decibel", "unit_symbol": "dB(A)",
       "unit_definition": QUDT + "DeciB_A"}

QUANTITIES = [
    {"code": "pm10", "name": N_("PM10"), "definition": EEA + "5", **UG_M3,
     "description": N_("Particulate matter smaller than 10 µm (mass concentration). WHO 2021 "
                       "guideline: 45 µg/m³ as a 24-hour mean, 15 µg/m³ as a yearly mean."),
     "valid_min": 0, "valid_max": 1900, "scale": PM10_CLASSES},
    {"code": "pm25", "name": N_("PM2.5"), "definition": EEA + "6001", **UG_M3,
     "description": N_("Particulate matter smaller than 2.5 µm (mass concentration). WHO 2021 "
                       "guideline: 15 µg/m³ as a 24-hour mean, 5 µg/m³ as a yearly mean."),
     "valid_min": 0, "valid_max": 900, "scale": PM25_CLASSES},
    {"code": "pm1", "name": N_("PM1"), "definition": EEA + "6002", **UG_M3,
     "description": N_("Particulate matter smaller than 1 µm (mass concentration)."),
     "valid_min": 0, "valid_max": 900, "scale": PM25_CLASSES},
    {"code": "pm4", "name": N_("PM4"), "definition": EEA + "6003", **UG_M3,
     "description": N_("Particulate matter smaller than 4 µm (mass concentration)."),
     "valid_min": 0, "valid_max": 1900, "scale": PM25_CLASSES},
    {"code": "no2", "name": N_("Nitrogen dioxide (NO2)"), "definition": EEA + "8", **UG_M3,
     "description": N_("WHO 2021 guideline: 25 µg/m³ as a 24-hour mean."),
     "valid_min": 0, "valid_max": 1000, "scale": eea(40, 90, 120, 230, 340)},
    {"code": "o3", "name": N_("Ozone (O3)"), "definition": EEA + "7", **UG_M3,
     "description": "", "valid_min": 0, "valid_max": 800, "scale": eea(50, 100, 130, 240, 380)},
    {"code": "nh3", "name": N_("Ammonia (NH3)"), "definition": EEA + "35", **UG_M3,
     "description": "", "valid_min": 0, "valid_max": 1000, "scale": []},
    {"code": "temperature", "name": N_("Air temperature"), "definition": CF + "CFSN0023/",
     "unit_name": "degree Celsius", "unit_symbol": "°C", "unit_definition": QUDT + "DEG_C",
     "description": "", "valid_min": -50, "valid_max": 70,
     "scale": stepped([-20, -10, 0, 10, 20, 30, 40], ["#4050B0", "#5679F9", "#55CBD9",
                                                     "#A2CF4A", "#FEDB64", "#FE8F52",
                                                     "#E6380F"])},
    {"code": "humidity", "name": N_("Relative humidity"), "definition": CF + "CFSN0413/",
     "unit_name": "percent", "unit_symbol": "%", "unit_definition": QUDT + "PERCENT",
     "description": N_("Above 95% optical particulate matter sensors read too high."),
     "valid_min": 0, "valid_max": 100,
     "scale": stepped([0, 20, 40, 60, 80, 100], ["#C41A0A", "#F47A0B", "#F4E60B", "#AFF474",
                                                 "#6DBCFF", "#00528F"])},
    {"code": "pressure", "name": N_("Air pressure"), "definition": CF + "CFSN0015/",
     "unit_name": "hectopascal", "unit_symbol": "hPa", "unit_definition": QUDT + "HectoPA",
     "description": N_("Air pressure at the sensor (not reduced to sea level)."),
     "valid_min": 850, "valid_max": 1200,
     "scale": stepped([926, 947.75, 969.5, 991.25, 1013, 1034.75, 1056.5, 1078.25, 1100],
                      ["#DD2E97", "#6B3B8F", "#2979B9", "#02B9ED", "#13AE52", "#C9D841",
                       "#FAD635", "#F0A03D", "#892725"])},
    {"code": "noise_laeq", "name": N_("Noise level (LAeq)"),
     "definition": "http://qudt.org/vocab/quantitykind/SoundPressureLevel", **DBA,
     "description": N_("Equivalent continuous A-weighted sound level over the interval."),
     "valid_min": 0, "valid_max": 140, "scale": NOISE},
    {"code": "noise_la_min", "name": N_("Noise level (LA min)"),
     "definition": "http://qudt.org/vocab/quantitykind/SoundPressureLevel", **DBA,
     "description": N_("Lowest A-weighted sound level in the interval."),
     "valid_min": 0, "valid_max": 140, "scale": NOISE},
    {"code": "noise_la_max", "name": N_("Noise level (LA max)"),
     "definition": "http://qudt.org/vocab/quantitykind/SoundPressureLevel", **DBA,
     "description": N_("Highest A-weighted sound level in the interval."),
     "valid_min": 0, "valid_max": 140, "scale": NOISE},
    {"code": "co2", "name": N_("Carbon dioxide (CO2)"),
     "definition": "http://dbpedia.org/resource/Carbon_dioxide",
     "unit_name": "parts per million", "unit_symbol": "ppm", "unit_definition": QUDT + "PPM",
     "description": "", "valid_min": 0, "valid_max": 40000,
     "scale": stepped([0, 800, 1000, 1400, 2000], ["#50CCAA", "#A2CF4A", "#F0E641", "#FF5050",
                                                    "#960032"])},
    {"code": "wind_speed", "name": N_("Wind speed"),
     "definition": "http://dbpedia.org/resource/Wind_speed",
     "unit_name": "metre per second", "unit_symbol": "m/s", "unit_definition": QUDT + "M-PER-SEC",
     "description": "", "valid_min": 0, "valid_max": 75, "scale": []},
    {"code": "wind_direction", "name": N_("Wind direction"),
     "definition": "http://dbpedia.org/resource/Wind_direction",
     "unit_name": "degree", "unit_symbol": "°", "unit_definition": QUDT + "DEG",
     "description": N_("The direction the wind comes from, clockwise from north."),
     "valid_min": 0, "valid_max": 360, "scale": []},
]

# metadata: a short plain-text description (encodingType text/plain), as STA allows.
SENSORS = [
    ("sds011", "SDS011", "Nova Fitness SDS011 laser dust sensor: PM2.5, PM10.", "SDS_P1 SDS_P2"),
    ("pms", "Plantower PMS", "Plantower PMS1003/3003/5003/6003/7003 laser dust sensor: PM1, "
     "PM2.5, PM10.", "PMS_P0 PMS_P1 PMS_P2"),
    ("hpm", "Honeywell HPM", "Honeywell HPMA115 laser dust sensor: PM2.5, PM10.",
     "HPM_P1 HPM_P2"),
    ("npm", "Tera NextPM", "Tera Sensor NextPM laser dust sensor: PM1, PM2.5, PM10.",
     "NPM_P0 NPM_P1 NPM_P2"),
    ("ips", "Piera IPS-7100", "Piera Systems IPS-7100 dust sensor: PM1, PM2.5, PM10.",
     "IPS_P0 IPS_P1 IPS_P2"),
    ("sps30", "Sensirion SPS30", "Sensirion SPS30 laser dust sensor: PM1, PM2.5, PM4, PM10.",
     "SPS30_P0 SPS30_P2 SPS30_P4 SPS30_P1"),
    ("bme280", "BME280", "Bosch BME280: temperature, relative humidity, air pressure.",
     "BME280_temperature BME280_humidity BME280_pressure"),
    ("bmp280", "BMP280", "Bosch BMP280: temperature, air pressure.",
     "BMP280_temperature BMP280_pressure"),
    ("bmp180", "BMP180", "Bosch BMP180: temperature, air pressure.",
     "BMP_temperature BMP_pressure"),
    ("dht22", "DHT22", "Aosong DHT22 (AM2302): temperature, relative humidity.",
     "temperature humidity"),
    ("htu21d", "HTU21D", "HTU21D: temperature, relative humidity.",
     "HTU21D_temperature HTU21D_humidity"),
    ("sht3x", "Sensirion SHT3x", "Sensirion SHT30/31/35: temperature, relative humidity.",
     "SHT3X_temperature SHT3X_humidity"),
    ("ds18b20", "DS18B20", "Maxim DS18B20 one-wire thermometer: temperature.",
     "DS18B20_temperature"),
    ("dnms", "DNMS", "DNMS (Digital Noise Measurement Sensor, OK Lab Stuttgart): LAeq, "
     "LA min, LA max.", "DNMS_noise_LAeq DNMS_noise_LA_min DNMS_noise_LA_max"),
    ("scd30", "Sensirion SCD30", "Sensirion SCD30 NDIR sensor: CO2, temperature, relative "
     "humidity.", "SCD30_co2_ppm SCD30_temperature SCD30_humidity"),
    ("external", "External network", "A sensor of another network whose model was not "
     "reported (e.g. imported from a SensorThings service).", ""),
]


def load(apps, schema_editor):
    ObservedProperty = apps.get_model("sensors", "ObservedProperty")
    Sensor = apps.get_model("sensors", "Sensor")
    for row in QUANTITIES:
        values = dict(row)
        code = values.pop("code")
        ObservedProperty.objects.update_or_create(code=code, defaults=values)
    for code, name, description, value_types in SENSORS:
        metadata = f"{description} airrohr firmware value types: {value_types}." if value_types \
            else description
        Sensor.objects.update_or_create(code=code, defaults={
            "name": name, "description": description, "encoding_type": "text/plain",
            "metadata": metadata[:300],
        })


def unload(apps, schema_editor):
    """Remove the rows nothing refers to (a datastream protects its quantity and sensor)."""
    ObservedProperty = apps.get_model("sensors", "ObservedProperty")
    Sensor = apps.get_model("sensors", "Sensor")
    ObservedProperty.objects.filter(code__in=[q["code"] for q in QUANTITIES],
                                    datastreams__isnull=True).delete()
    Sensor.objects.filter(code__in=[s[0] for s in SENSORS], datastreams__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sensors", "0002_observation_partitioning"),
        ("sensors", "0004_importsource"),
    ]

    operations = [migrations.RunPython(load, unload)]
