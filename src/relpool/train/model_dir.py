"""The model directory: writing it after training, and reading it back with every check.

A directory is refused with one clear message when a file is missing or unreadable, when the
weights do not match the SHA-256 recorded in config.json (truncated or tampered), when config.json
itself was edited (its own SHA-256, of its other keys, is recorded in it: an edited query window
would otherwise be evaluated as if the model had been trained for it), or when it was written by an
incompatible relpool format. Directories written before the config checksum existed still load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from relpool.baselines.served import SERVABLE, ServedBaseline
from relpool.baselines.served_blend import ServedBlend, fingerprint, load_blend
from relpool.errors import RelpoolError
from relpool.train import ensemble
from relpool.train.checkpoint import load_json, save_json, save_tensors, sha256
from relpool.train.stats_json import col_stats_to_json

FORMAT_VERSION = 1
VERSIONED = ("relpool", "torch", "torch-geometric", "pytorch-frame", "duckdb", "numpy")


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_model_dir(
    out: Path,
    model,
    inspection,
    task,
    tables,
    targets,
    options,
    stats_cutoff,
    metrics,
    text_embedder: dict,
    feature_times=None,
) -> None:
    weights = out / "model.safetensors"
    save_tensors(weights, model.state_dict())
    config = {
        "format": FORMAT_VERSION,
        "versions": versions(),
        "query": task.bound.query.text,
        "entity_column": task.bound.entity_column,
        "rank_top": task.bound.query.rank_top,
        "source": inspection.database.source,
        "schema": inspection.schema.to_dict(),
        "rows": {name: int(n) for name, n in inspection.rows.items()},  # an empty table may later be missing
        "options": options.to_dict(),
        "model": model.spec.to_dict(),
        "targets": targets.to_dict(),
        "stats_cutoff": str(stats_cutoff),
        "text_embedder": text_embedder,
        "hidden_columns": sorted([t, c] for t, c in task.bound.hidden_columns),
        "feature_times": None if feature_times is None else feature_times.to_json(),
        "encoders": {
            name: {
                "column_types": {c: asdict(t) for c, t in table.column_types.columns.items()},
                "col_stats": col_stats_to_json(table.col_stats),
            }
            for name, table in tables.items()
        },
        "weights_sha256": sha256(weights),
    }
    config = json.loads(json.dumps(config, default=str))  # as it reads back
    save_json(out / "config.json", {**config, "config_sha256": config_checksum(config)})
    save_json(out / "metrics.json", metrics)


def config_checksum(config: dict) -> str:
    """SHA-256 of every key but ``config_sha256``, in a canonical JSON form (sorted keys, no spaces)."""
    body = {k: v for k, v in config.items() if k != "config_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


SECTIONS = {
    "query": str,
    "entity_column": str,
    "schema": dict,
    "model": dict,
    "targets": dict,
    "encoders": dict,
    "options": dict,
    "text_embedder": dict,
}


def _check_sections(folder: Path, config: dict) -> None:
    """The shape every later step relies on (a directory from before the config checksum may be hand-edited)."""
    bad = [k for k, kind in SECTIONS.items() if not isinstance(config[k], kind)]
    if not bad and not isinstance(config["schema"].get("tables"), dict):
        bad.append("schema.tables")
    if not bad and not isinstance(config["options"].get("loop"), dict):
        bad.append("options.loop")
    bad += [
        f"encoders.{name}"
        for name, e in (config["encoders"].items() if not bad else ())
        if not (isinstance(e, dict) and isinstance(e.get("column_types"), dict) and "col_stats" in e)
    ]
    if bad:
        raise RelpoolError(f"{folder}/config.json is damaged: {', '.join(bad)} is not what relpool wrote")


def read_config(folder: Path) -> dict:
    folder = Path(folder)
    if not folder.is_dir():
        raise RelpoolError(f"model directory not found: {folder}")
    config = load_json(folder / "config.json")
    if not isinstance(config, dict) or config.get("format") != FORMAT_VERSION:
        raise RelpoolError(
            f"{folder}/config.json is not a relpool model (format {config.get('format')!r}, expected {FORMAT_VERSION})"
            if isinstance(config, dict)
            else f"{folder}/config.json is not a relpool model"
        )
    missing = [
        k
        for k in (
            "query",
            "entity_column",
            "schema",
            "model",
            "targets",
            "encoders",
            "weights_sha256",
            "options",
            "text_embedder",
        )
        if k not in config
    ]
    if missing:
        raise RelpoolError(f"{folder}/config.json lacks {', '.join(missing)}; the model directory is damaged")
    _check_sections(folder, config)
    if "config_sha256" in config and config["config_sha256"] != config_checksum(config):
        raise RelpoolError(
            f"{folder}/config.json was edited after training (it no longer matches its checksum); "
            f"restore the original, or train a new model with relpool fit"
        )
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise RelpoolError(f"{weights} is missing")
    if sha256(weights) != config["weights_sha256"]:
        raise RelpoolError(f"{weights} does not match the checksum in config.json: it was truncated or modified")
    return config


def served_baseline(folder: Path) -> ServedBaseline | None:
    """The baseline ``folder``'s run chose over its network on validation (metrics.json's ``chosen``), loaded;
    None when the network is served (or an older directory names no choice)."""
    chosen = _chosen_baseline(folder)
    return ServedBaseline.load(folder / "baselines" / chosen) if chosen else None


def served_blend(folder: Path) -> ServedBlend | None:
    """The blend of the network and the autofeat baseline, when ``folder``'s run chose it on validation
    (metrics.json's ``chosen`` is "blend"), loaded from blend.json; None otherwise."""
    return load_blend(folder) if _chosen(folder) == "blend" else None


def model_id(folder: Path, config: dict) -> str:
    """A stable identifier of the model ``folder`` serves, the ``model_id`` of the predictions it writes: 16 hex
    digits of the SHA-256 of config.json's checksum (which covers the weights' SHA-256) and, when a baseline
    is served (alone or blended), its model file's SHA-256, and a seed ensemble's other members' SHA-256s. The
    same trained directory gives the same id wherever it is copied."""
    parts = [config.get("config_sha256") or config_checksum(config)]
    members = ensemble.fingerprint(folder)
    if members is not None:
        parts.append(f"ensemble:{members}")
    chosen = _chosen_baseline(folder)
    if chosen:
        parts.append(str(load_json(folder / "baselines" / chosen / "served.json").get("model_sha256")))
    elif _chosen(folder) == "blend":
        parts.append(f"blend:{fingerprint(folder)}")
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:16]


def _chosen_baseline(folder: Path) -> str | None:
    chosen = _chosen(folder)
    return chosen if chosen in SERVABLE else None


def _chosen(folder: Path) -> str | None:
    metrics = folder / "metrics.json"
    return load_json(metrics).get("chosen") if metrics.is_file() else None
