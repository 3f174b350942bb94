"""The one exception type users see: its message is the one line the CLI prints."""


class PopdqError(Exception):
    """A failure with a message fit for a steward: names the file, row or column, no traceback."""

    exit_code = 1


class BadParameter(PopdqError):
    """A value given on the command line (or as a flow parameter) that popdq refuses."""

    exit_code = 2


class NotFound(PopdqError):
    """No such thing, or none the asker may see: the two are answered alike, so that a
    reviewer cannot learn what exists outside their localities."""


class Conflict(PopdqError):
    """What the asker acted on changed (another reviewer, a night's run) since they were
    shown it: nothing was changed, and they look again."""

    exit_code = 3


class NotAllowed(PopdqError):
    """The signed-in role may not do this (an auditor resolving an item, a reviewer
    assigning to someone else)."""


class SignedOut(PopdqError):
    """A session whose account is gone, disabled, or whose password changed since."""
