"""gunicorn settings for one app instance: ``gunicorn -c deploy/gunicorn.conf.py app:app``.

Every setting comes from the environment (defaults in brackets), so deploy/serve-prod.sh
can start several instances on different ports from this one file:

- ``GUNICORN_BIND`` [127.0.0.1:8001], ``GUNICORN_WORKERS`` [2], ``GUNICORN_THREADS`` [4]
  (gthread workers: an exam's autosave waits on the database, not the CPU),
  ``GUNICORN_TIMEOUT`` [60] seconds for a silent worker, ``GUNICORN_GRACEFUL_TIMEOUT``
  [30] seconds for requests in flight to finish on a restart (an exam hand-in must not
  be cut off by a deploy; RELIABILITY.md F4).
- ``GUNICORN_PRELOAD`` [0]: off, so that each worker builds the app itself. A ``kill
  -HUP`` then starts workers on the new code one by one (with preload the master keeps
  the old code), and no database connection, Redis socket or key file handle opened
  while building the app is shared by forked workers. The cost is a few seconds of
  start-up and some memory per worker.
- ``GUNICORN_ACCESS_LOG`` [off]: the app writes its own line per request
  (lms.operations.request_log: request id, endpoint, status, time, user id, secrets
  redacted). gunicorn's line would
  repeat it with the raw path, which can hold a calendar feed token; if turned on
  (``-`` for stderr) its format carries the request id and no path.
- ``PROMETHEUS_MULTIPROC_DIR`` [instance/metrics-<port>]: where the workers' metrics
  meet (lms.operations.metrics); emptied at start, one per instance.
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"
# nginx in front sends X-Forwarded-*; the app trusts them only with LMS_PROXY_FIX
forwarded_allow_ips = "127.0.0.1"
proc_name = f"lms-{bind}"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = 'rid=%({x-request-id}o)s method=%(m)s status=%(s)s bytes=%(B)s ms=%(M)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

_port = bind.rsplit(":", 1)[-1]
_instance = Path(os.environ.get("LMS_INSTANCE_PATH")
                 or Path(__file__).resolve().parent.parent / "instance")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_instance / f"metrics-{_port}"))

# Every line on stderr, its message escaped (no forged lines; RELIABILITY.md A29) and
# tagged with the request it belongs to.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "lms.operations.request_log.RequestIdFilter"}},
    "formatters": {"escaped": {
        "()": "lms.operations.logsafe.EscapingFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] rid=%(request_id)s "
                  "%(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                            "formatter": "escaped", "filters": ["request_id"]}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        # gunicorn logs access whenever a logging config is given: WARNING keeps it off
        "gunicorn.access": {"level": "INFO" if accesslog else "WARNING",
                            "handlers": ["stderr"], "propagate": False},
    },
}


def on_starting(server):
    """Metrics of workers from an earlier run would be added to this one's."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
