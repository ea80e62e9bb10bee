"""How a mail flow fails when the relay could not be used: after its artifacts, with the message the Prefect UI
shows in the coordinators' language (PLANTRACK_LANG) and the English one the CLI prints."""
from __future__ import annotations

from plantrack.notifications.mail.smtp import RelayError


class RelayFailure(RuntimeError):
    """str(): the failure in PLANTRACK_LANG (the failed run's state message); english: the CLI's line."""

    def __init__(self, message: str, english: str):
        super().__init__(message, english)  # both in args: the exception pickles and unpickles whole

    def __str__(self) -> str:
        return self.args[0]

    @property
    def english(self) -> str:
        return self.args[1]


class RelayUnreachable(RelayFailure):
    """The relay could not be reached: what stays queued goes with the next run."""


class RelayConfigError(RelayFailure):
    """The relay refused our TLS/certificate/AUTH configuration: fix a setting, then rerun."""


def raise_relay_failure(config_error: RelayError | None, unreachable: RelayError | None, still_queued: int,
                        message: str | None, done: str = "") -> None:
    """Raise RelayConfigError or RelayUnreachable with message (the run report's words in PLANTRACK_LANG) when the
    relay could not be used; nothing otherwise. done: what the run did all the same, said first in the CLI's line."""
    if config_error:
        raise RelayConfigError(message or str(config_error), f"{done}SMTP relay configuration error: {config_error}; "
                               f"{still_queued} messages stay queued: fix the setting, then rerun")
    if unreachable:
        raise RelayUnreachable(message or str(unreachable), f"{done}SMTP relay unreachable ({unreachable}); "
                               f"{still_queued} messages stay queued for the next run")
