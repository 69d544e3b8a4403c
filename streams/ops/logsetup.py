"""Process logging: human text on a terminal, or one JSON object per line for a log pipeline (Loki, ELK).

JSON lines carry `camera_id` and `alert_id` as fields where a log call passes them in `extra`, so an operator
can filter one camera's or one alert's history. Secrets never reach a record: config secrets are SecretStr and
Redis URLs are logged redacted.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

from streams.ops.logfilter import RepeatFilter

LIBRARIES = ("faust", "mode", "aiokafka", "kafka")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["text", "json"]


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def setup_logging(verbose: bool, log_format: LogFormat = "text", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RepeatFilter(LIBRARIES))  # a broker outage makes them log one line many times a second
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)
    os.environ.setdefault("YOLO_OFFLINE", "1")
