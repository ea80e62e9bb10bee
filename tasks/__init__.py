"""Prefect tasks: each wraps one use case of plain code over a batch.

Importing this package sends plantrack's own log records (the plain code under the tasks, e.g. the mail
dispatcher's warning at each retry of an unreachable relay) to the flow or task run they happen in, as
PREFECT_LOGGING_EXTRA_LOGGERS would: a coordinator watching a scheduled run sees them in the Prefect UI.
"""
import logging

from prefect.logging.handlers import APILogHandler


class _RunLogHandler(APILogHandler):
    """Prefect's API log handler, silent outside a run (plain calls of the use cases, the CLI's own code)."""

    def emit(self, record: logging.LogRecord) -> None:
        from prefect.context import FlowRunContext, TaskRunContext

        if FlowRunContext.get() is not None or TaskRunContext.get() is not None:
            super().emit(record)


_plantrack = logging.getLogger("plantrack")
if not any(isinstance(h, _RunLogHandler) for h in _plantrack.handlers):
    _plantrack.addHandler(_RunLogHandler())
