"""Entry point for Celery: ``celery -A lms.worker worker`` / ``beat``."""

from lms import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
