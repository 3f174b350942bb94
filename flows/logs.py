"""What Prefect's log handlers let through (flows/logging.yml configures them)."""

import logging
import os

from popdq.errors import PopdqError


class OneLineUserErrors(logging.Filter):
    """A popdq error (bad input, a missing dataset) is logged as its one line: its
    traceback is for popdq's developers (POPDQ_DEBUG=1), not for a steward's terminal or
    the Prefect UI, whatever PREFECT_LOGGING_LEVEL says."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.exc_info and isinstance(record.exc_info[1], PopdqError)
                and not os.environ.get("POPDQ_DEBUG")):
            record.exc_info = None
            record.exc_text = None
        return True
