"""Entry point for Celery: ``celery -A lms.worker worker`` / ``beat``."""

from lms import create_app

app = create_app()
celery = app.extensions["celery"]
