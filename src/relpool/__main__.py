"""``python -m relpool``: the ``relpool`` command, so ``torchrun -m relpool fit ...`` can start it.

The guard matters: worker processes started with "spawn" import this module again, under another name.
"""

from relpool.cli import app

if __name__ == "__main__":
    app(prog_name="relpool")
