"""The two ways any command stops early, mapped to the exit codes every command shares (README: Commands)."""

from __future__ import annotations


class UsageError(Exception):
    """Bad config or usage: exit 2 with this one message on stderr, no traceback."""

    exit_code = 2


class EngineError(Exception):
    """The program or the policy pack failed: exit 1 with this message (the failing side's own words)."""

    exit_code = 1
