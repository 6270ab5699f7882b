"""Domain errors. Each carries the exit code the CLI uses for it.

The library raises these; the CLI turns them into one line on stderr and
the exit code below, in one place (``stegcli.cli.app``).
"""

from __future__ import annotations


class StegError(Exception):
    """Base class of every error stegcli reports to users."""

    exit_code = 1


class UsageError(StegError):
    """Bad combination of arguments, unknown model, refused output path."""

    exit_code = 2


class InputError(StegError):
    """An input (image, key, message file) is missing, unreadable or malformed."""

    exit_code = 3


class CapacityError(StegError):
    """The payload does not fit the cover, or the cover is too small."""

    exit_code = 4


class IntegrityError(StegError):
    """No payload found, or it failed its integrity check."""

    exit_code = 5


class ModelError(StegError):
    """Model weights are missing, corrupt or do not match their config."""

    exit_code = 6


EXIT_CODES = {
    0: "success",
    1: "unexpected internal error",
    2: "usage error (bad arguments, unknown model, refused output path)",
    3: "input unreadable (missing/corrupt image, message or key file; key shape/dtype mismatch)",
    4: "capacity exceeded (payload too large, cover too small)",
    5: "no payload found or integrity check failed",
    6: "model weights missing or invalid",
}
