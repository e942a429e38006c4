"""The explain and predict commands' code paths leave heavy optional libraries unimported.

``relpool explain`` answers one entity in about a second after its imports, so a library that only
training, baselines, SQL servers or reports need must be imported inside the function that uses it.
Checked in a fresh interpreter: this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("lightgbm", "sklearn", "captum", "sqlalchemy", "networkx", "polars", "adbc_driver_postgresql", "matplotlib")
"""Not needed to load a model, predict or explain: training metrics, baselines, SQL servers, plots, schema cycles."""

EXPLAIN_PATH = (
    "relpool.cli",
    "relpool.api",
    "relpool.commands.explain",
    "relpool.report.explain_view",
    "relpool.train.explain",
    "relpool.nn.attribution",
)


def test_the_explain_path_imports_no_heavy_optional_library():
    code = (
        "import importlib, json, sys\n"
        f"for name in {EXPLAIN_PATH!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_check_sees_a_heavy_import():
    """The same check, told to import one of them, finds it (so the test above can fail)."""
    code = f"import json, sys, sqlalchemy\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "sqlalchemy" in json.loads(done.stdout)


def test_a_schema_without_cycles_is_checked_without_networkx():
    """Preparing a model's database checks the schema for foreign-key cycles; networkx only lists found ones."""
    code = (
        "import json, sys\n"
        "from relpool.db.key_checks import cycles\n"
        "from relpool.db.schema import ForeignKey, Schema, TableSchema\n"
        "def fk(t): return ForeignKey(('k',), t, ('id',))\n"
        "def schema(edges): return Schema({t: TableSchema(t, foreign_keys=[fk(b) for a, b in edges if a == t])"
        " for t in 'abcd'})\n"
        "acyclic = cycles(schema([('a', 'b'), ('b', 'c'), ('a', 'c'), ('d', 'd')]))\n"
        "before = 'networkx' in sys.modules\n"
        "cyclic = cycles(schema([('a', 'b'), ('b', 'c'), ('c', 'a'), ('d', 'a')]))\n"
        "print(json.dumps([acyclic == [], before, [p.message for p in cyclic]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, False, ["foreign-key cycle a -> b -> c -> a"]]
