"""Log lines as JSON objects (LOG_FORMAT=json), one a line, for a log pipeline to parse.

A formatter of a few lines rather than python-json-logger: the portal needs exactly five
fields plus the exception, and no configuration surface (renamed fields, reserved attributes)
that a later change could turn into a line missing its request id.
"""

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """timestamp (UTC, ISO 8601), level, logger, message, request_id; exc_info when raised."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
