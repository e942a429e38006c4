"""The ``relpool`` command: the typer app, the subcommands of ``relpool.commands`` registered on it in the
order ``--help`` lists them, and the error handling they share.

User errors (:class:`~relpool.errors.RelpoolError`) become one line on stderr and exit code 2;
Ctrl-C becomes one line ("interrupted; …") and exit code 130.
"""

from __future__ import annotations

import functools

import typer
from rich.markup import escape

from relpool.commands import data, explain, model, serve
from relpool.commands.shared import err
from relpool.errors import RelpoolError

app = typer.Typer(
    help="relpool: predictive models trained directly on relational databases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


INTERRUPTED = 130  # the shell's code for a command stopped by SIGINT


def user_errors(command):
    """Turn a RelpoolError into one clear message and exit code 2, and Ctrl-C into one line and 130,
    without a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except RelpoolError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)  # "[mlflow]" is text
            raise typer.Exit(2) from None
        except KeyboardInterrupt as exc:
            err.print(escape(str(exc)) or "interrupted", highlight=False, soft_wrap=True)
            raise typer.Exit(INTERRUPTED) from None
        except Exception as exc:
            from relpool.train.output import is_interrupt

            if not is_interrupt(exc):  # DuckDB turns Ctrl-C during a query into its own exception
                raise
            err.print("interrupted", highlight=False, soft_wrap=True)
            raise typer.Exit(INTERRUPTED) from None

    return wrapper


for command in (
    data.inspect,
    data.task,
    model.fit,
    model.evaluate,
    model.predict,
    explain.explain,
    serve.serve,
    model.baseline,
    data.synth,
    model.demo,
):
    app.command()(user_errors(command))


@app.callback()
def main() -> None:
    """relpool: predictive models trained directly on relational databases."""


if __name__ == "__main__":
    app()
