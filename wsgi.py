"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import sys

from workflow import create_app
from workflow.production import EXIT_CODE, ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    # A clear message and a non-zero exit, never a traceback or a half-started server (under
    # gunicorn this exit code stops the master too).
    sys.stderr.write(error.report())
    raise SystemExit(EXIT_CODE) from None
