"""The one exception type users see: its message is the one line the CLI prints."""


class PopdqError(Exception):
    """A failure with a message fit for a steward: names the file, row or column, no traceback."""

    exit_code = 1


class BadParameter(PopdqError):
    """A value given on the command line (or as a flow parameter) that popdq refuses."""

    exit_code = 2
