"""The one exception type for problems in the user's input.

The CLI prints its message on one line and exits with code 2, without a traceback: anything
the user can fix (a missing file, a malformed schema, duplicate keys) is raised as this.
Anything else is a bug in relpool and keeps its traceback.
"""


class RelpoolError(Exception):
    """A user-fixable problem, described in one clear sentence."""
