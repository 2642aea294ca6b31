import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules) lives as long as the process: move
# it out of the cycle collector's sight. Otherwise every full collection walks those ~150,000
# objects again; a 10,000-row upload triggers one every two or three requests, ~100 ms each
# (bench/sensors_bulk.py: a CSV body's Python time went from ~125 to ~85 ms). Garbage of the
# start-up goes first.
gc.collect()
gc.freeze()
