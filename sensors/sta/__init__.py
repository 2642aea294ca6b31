"""OGC SensorThings API v1.1 (read + create Observations, dataArray) over the sensors app's
models, at /sta/v1.1/. See docs/sensorthings.md.

query.py     OData query options -> plain data (parser)
orm.py       $filter / $orderby -> Django ORM expressions (typed, parameterised)
entities.py  the eight entity types mapped onto our models, and their JSON
reader.py    resource paths, collections, paging, $expand, dataArray
create.py    POST Observations / CreateObservations -> sensors.services.observations_store
views.py     HTTP (DRF APIView for authentication and throttling), STA error shape
"""
