"""factory_boy factories of the sensors app."""

import factory

from sensors import models
from tests.factories import ResidentFactory

STADSHAGEN_AREA = {
    "type": "Polygon",
    "coordinates": [[[6.03, 52.52], [6.09, 52.52], [6.09, 52.55], [6.03, 52.55], [6.03, 52.52]]],
}


class ObservedPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ObservedProperty
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"grootheid-{n}")
    name = factory.LazyAttribute(lambda p: p.code.upper())
    definition = factory.LazyAttribute(lambda p: f"https://example.org/def/{p.code}")
    unit_name = "microgram per cubic metre"
    unit_symbol = "µg/m³"
    unit_definition = "ucum:ug/m3"


class SensorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Sensor
        django_get_or_create = ("code",)

    code = "sds011"
    name = "SDS011"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Project
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"meetproject-{n}")
    name = factory.Sequence(lambda n: f"Meetproject {n}")
    summary = "Bewoners meten de luchtkwaliteit in hun wijk."
    description = "Bewoners hangen een sensor aan hun huis."
    area = STADSHAGEN_AREA


class KitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Kit

    project = factory.SubFactory(ProjectFactory)
    owner = factory.SubFactory(ResidentFactory)
    device_id = factory.Sequence(lambda n: f"esp8266-{1000000 + n}")
    name = factory.Sequence(lambda n: f"Sensor {n}")
    state = models.Kit.State.ACTIVE


class DatastreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Datastream

    kit = factory.SubFactory(KitFactory)
    observed_property = factory.SubFactory(ObservedPropertyFactory)
    sensor = factory.SubFactory(SensorFactory)
    name = factory.LazyAttribute(lambda d: f"{d.observed_property.name} van {d.kit.name}")
