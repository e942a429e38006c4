"""The exception types for problems in the user's input, and for the user stopping a run.

The CLI prints a RelpoolError's message on one line and exits with code 2, without a traceback:
anything the user can fix (a missing file, a malformed schema, duplicate keys) is raised as this.
Anything else is a bug in relpool and keeps its traceback.
"""


class RelpoolError(Exception):
    """A user-fixable problem, described in one clear sentence."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with a sentence on what was kept (e.g. "interrupted; resume with --resume").

    Still a KeyboardInterrupt, so code that stops on Ctrl-C (a notebook, a caller's handler) still does;
    the CLI prints the sentence and exits with code 130, the shell's code for SIGINT.
    """
