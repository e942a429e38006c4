"""Where ``relpool fit`` writes, and what it may replace.

A run builds its model directory in ``.NAME.partial`` beside ``--out`` and renames it into place at the
end (see :class:`relpool.files.StagedFolder`), so ``--out`` never holds half a model and a failed run
leaves nothing. Ctrl-C keeps the partial folder when it holds a checkpoint: ``--resume`` continues it.

What ``--out`` may already be: nothing, an empty folder, or a relpool model directory, which is replaced
only with ``--force`` and continued with ``--resume``. A folder with other files is never touched.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from relpool.errors import RelpoolError
from relpool.files import StagedFolder, check_output_path, unwritable


@dataclass
class FitOutput:
    staged: StagedFolder
    resume_from: Path | None  # a checkpoint folder to continue from, if --resume found one
    in_use: bool = False  # create() was called: the partial folder must stay there until commit

    @property
    def checkpoint(self) -> Path:
        return self.staged.partial / "checkpoint"

    def create(self) -> Path:
        """The working folder, holding the checkpoint to resume from (copied from an earlier model directory)."""
        work = self.staged.create()
        self.in_use = True
        if self.resume_from is not None and self.resume_from != self.checkpoint:
            try:
                shutil.copytree(self.resume_from, self.checkpoint, dirs_exist_ok=True)
            except OSError as exc:
                self.staged.discard()
                raise unwritable(self.checkpoint, exc) from None
        return work

    def check_present(self) -> None:
        """Refuse to go on (and so to recreate anything) once the folder being built was removed under us."""
        if self.in_use and not self.staged.partial.is_dir():
            raise RelpoolError(gone_message(self.staged.partial))


def gone_message(partial: Path) -> str:
    return f"the folder being built ({partial}) disappeared during training"


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C, also when DuckDB caught the SIGINT during a query and raised its own exception instead."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    duckdb = sys.modules.get("duckdb")
    interrupt = getattr(duckdb, "InterruptException", None) if duckdb is not None else None
    if interrupt is not None and isinstance(exc, interrupt):
        return True
    return isinstance(exc, RuntimeError) and "Query interrupted" in str(exc)


def is_model_dir(folder: Path) -> bool:
    """A folder relpool fit wrote: a model's config.json (not any config.json), or a checkpoint's state.json."""
    if (folder / "checkpoint" / "state.json").is_file():
        return True
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and {"format", "weights_sha256"} <= set(config)


def plan_fit_output(out: str | Path, protected: list, resume: bool = False, force: bool = False) -> FitOutput:
    """Check ``out`` before any work is done; refuse, with what to do instead, anything we may not replace."""
    target = check_output_path(out, protected, make_parents=True)
    staged = StagedFolder(target)
    staged.lock()  # held until fit ends (staged.release()): a second run refuses here
    try:
        return _plan(out, target, staged, resume, force)
    except BaseException:
        staged.release()
        raise


def _plan(out, target: Path, staged: StagedFolder, resume: bool, force: bool) -> FitOutput:
    if target.exists() and not target.is_dir():
        raise RelpoolError(f"--out {out} is a file; give a folder for the model")
    earlier = target.is_dir() and any(target.iterdir())
    if earlier and not is_model_dir(target):
        raise RelpoolError(
            f"--out {out} is a folder with other files in it; give a new or empty folder "
            f"(relpool replaces only a model directory it wrote)"
        )
    partial_state = staged.partial / "checkpoint" / "state.json"
    if staged.partial.exists():
        if resume and partial_state.is_file():
            return FitOutput(staged, staged.partial / "checkpoint")
        if not (resume or force):
            raise RelpoolError(
                f"an interrupted run of this model is in {staged.partial}; add --resume to continue "
                f"it, or --force to start over"
            )
        shutil.rmtree(staged.partial)  # ours (the name says so) and nothing to resume from in it
    if earlier and resume:
        found = target / "checkpoint"
        return FitOutput(staged, found if (found / "state.json").is_file() else None)
    if earlier and not force:
        raise RelpoolError(
            f"--out {out} already holds a relpool model; add --resume to continue training it, "
            f"--force to replace it, or choose another folder"
        )
    return FitOutput(staged, None)
