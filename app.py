"""The application object for `flask --app app …` and gunicorn (`app:app`)."""

import gc

from lms import create_app

app = create_app()
# Everything built so far (modules, mappers, templates, translations) lives as long as
# the process: keep it out of the cyclic collector's full collections, which otherwise
# walk it all again (about 90 ms here, a pause every request queued behind it shares).
gc.freeze()
