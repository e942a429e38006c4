"""What users install: the wheel must hold every file the package reads, not only its .py files.

An editable install reads the source tree, so a data file missing from the wheel (the query
grammar once was) only shows after `pip install .`; these tests build the wheel and look inside.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the tree so the checkout gets no build/ or egg-info."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(tree),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("relpool-*.whl")
    return built


def test_wheel_holds_every_file_the_package_reads(wheel):
    package = ROOT / "src" / "relpool"
    wanted = {
        f"relpool/{p.relative_to(package).as_posix()}"
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    data = {name for name in wanted if not name.endswith(".py")}
    assert data, "the package has data files (the query grammar at least)"
    inside = set(zipfile.ZipFile(wheel).namelist())
    assert wanted - inside == set()


def test_a_query_parses_from_the_unpacked_wheel(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    code = (
        "import relpool.query.parser as p, pathlib, sys; "
        "assert pathlib.Path(p.__file__).is_relative_to(sys.argv[1]), p.__file__; "
        "print(p.parse_query('PREDICT COUNT(orders.*, 0, 7, days) > 0 FOR EACH customers.id').entity)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "customers.id" in done.stdout
