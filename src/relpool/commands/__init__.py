"""The ``relpool`` subcommands, each a thin shell over the Python API; ``relpool.cli`` registers them.

Kept apart from the typer app so that adding a command touches only the group it belongs to: ``data`` reads
or writes databases (inspect, task, synth), ``model`` trains and uses models (fit, evaluate, predict,
baseline, demo).
"""
