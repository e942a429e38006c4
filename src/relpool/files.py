"""Writing relpool's own output files: atomically, and never over the user's database.

New files and folders get the permissions the user's umask gives (a temporary file from
``tempfile.mkstemp`` is 0600, which left outputs unreadable to everyone else). Missing parent folders
are created, and removed again if the write fails, so a failed command leaves nothing behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from relpool.errors import RelpoolError

# Errors that mean "this place cannot be written", which the user can fix; others stay bugs.
UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EEXIST}


def check_output_path(path: str | Path, protected: list[str | Path], make_parents: bool = False) -> Path:
    """Refuse an output path inside one of the user's inputs, or one that cannot be created or written.

    With ``make_parents`` missing parent folders are fine (the writer creates them); a parent that is a
    file, or a folder we may not write into, is refused before any work is done.
    """
    out = Path(path).expanduser().resolve()
    for item in protected:
        p = Path(str(item)).expanduser()
        if p.exists() and (out == p.resolve() or p.resolve() in out.parents):
            raise RelpoolError(f"refusing to write {path}: it would overwrite or go inside the input {item}")
    existing = _nearest_existing(out.parent)
    if not existing.is_dir():
        raise RelpoolError(f"cannot write {path}: {existing} is a file, not a folder")
    if existing != out.parent and not make_parents:
        raise RelpoolError(f"cannot write {path}: folder {out.parent} does not exist")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RelpoolError(f"cannot write {path}: the folder {existing} is not writable")
    return out


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary file beside ``path`` and rename it into place only if it succeeds."""
    path = Path(path)
    with created_parents(path.parent, path):
        tmp = _new_file_beside(path)
        mode = os.stat(tmp).st_mode & 0o777  # what the umask gives a new file
        try:
            write(tmp)
            if os.stat(tmp).st_mode & 0o777 != mode:  # a writer that made its own file (safetensors: 0600)
                os.chmod(tmp, mode)
            os.replace(tmp, path)
        except OSError as exc:
            raise unwritable(path, exc) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def unwritable(path: Path, exc: OSError) -> Exception:
    """The RelpoolError for an OSError that says ``path`` cannot be written; any other OSError as it was."""
    if exc.errno in UNWRITABLE:
        return RelpoolError(f"cannot write {path}: {exc.strerror}")
    return exc


def cannot_create(path: Path, exc: OSError) -> RelpoolError:
    """Creating a folder or an empty file only fails for reasons of the place (``/proc``, a full disk)."""
    return RelpoolError(f"cannot write {path}: {exc.strerror or exc}")


@contextmanager
def created_parents(folder: Path, what: Path) -> Iterator[list[Path]]:
    """Create ``folder`` and its missing parents; if the body fails, remove the ones created (when empty)."""
    made = make_folders(folder, what)
    try:
        yield made
    except BaseException:
        remove_empty(made)
        raise


def make_folders(folder: Path, what: Path) -> list[Path]:
    """Create ``folder`` and its missing parents (umask permissions); return the created ones, deepest last."""
    missing = _missing_folders(folder)
    made = []
    try:
        for p in reversed(missing):
            p.mkdir()
            made.append(p)
    except OSError as exc:
        remove_empty(made)
        raise cannot_create(what, exc) from None
    return made


def remove_empty(folders: list[Path]) -> None:
    """Remove folders (deepest first) that are still empty; others are left alone."""
    for p in reversed(folders):
        try:
            p.rmdir()
        except OSError:
            pass


class StagedFolder:
    """An output folder built beside its place, as ``.NAME.partial``, and renamed into place when complete.

    Until :meth:`commit` nothing appears at ``final``: a failed run that :meth:`discard`\\ s leaves no
    empty or half-written folder, and an interrupted one can keep ``.NAME.partial`` to resume from.

    :meth:`lock` takes an exclusive lock on ``.NAME.lock`` beside it, held until :meth:`release`, so two
    runs never build in the same partial folder; a leftover partial folder with no lock held is a killed run.
    """

    def __init__(self, final: Path):
        self.final = Path(final)
        self.partial = self.final.parent / f".{self.final.name}.partial"
        self.lock_path = self.final.parent / f".{self.final.name}.lock"
        self._made: list[Path] = []  # the partial folder and parents this run created
        self._parents: list[Path] = []  # parents created by lock()
        self._lock_fd: int | None = None

    def lock(self) -> None:
        """Take the lock (creating missing parents), or refuse at once if another run holds it."""
        if self._lock_fd is not None:
            return
        made = make_folders(self.final.parent, self.final)
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                remove_empty(made)
                raise cannot_create(self.final, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                remove_empty(made)
                raise self._busy() from None
            try:  # the holder we waited on may have removed the file: then lock the new one
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._lock_fd = fd
        self._parents = made

    def release(self) -> None:
        """Drop the lock and remove its file, and the parents lock() created if nothing else is in them."""
        if self._lock_fd is None:
            return
        try:
            os.unlink(self.lock_path)
        except OSError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None
        remove_empty(self._parents)

    def create(self) -> Path:
        """The partial folder: an existing one (a run being resumed) or a new empty one, made atomically."""
        if self.partial.is_dir():
            return self.partial
        made = make_folders(self.final.parent, self.final)
        try:
            os.mkdir(self.partial)
        except FileExistsError:
            remove_empty(made)
            raise self._busy() from None
        except OSError as exc:
            remove_empty(made)
            raise cannot_create(self.final, exc) from None
        self._made = [*made, self.partial]
        return self.partial

    def _busy(self) -> RelpoolError:
        return RelpoolError(
            f"another relpool fit is writing {self.final} ({self.partial}); wait for it, "
            f"or use --resume/--force if it was interrupted"
        )

    @property
    def created(self) -> bool:
        return bool(self._made)

    def commit(self) -> None:
        """Rename the partial folder into place, replacing an earlier folder there (the caller said it may)."""
        old = None
        try:
            if self.final.is_dir() and any(self.final.iterdir()):
                old = self.final.parent / f".{self.final.name}.old"
                shutil.rmtree(old, ignore_errors=True)
                os.rename(self.final, old)
            os.replace(self.partial, self.final)  # over an empty folder too
        except OSError as exc:
            if old is not None and not self.final.exists():
                os.rename(old, self.final)
            raise unwritable(self.final, exc) from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Remove what this run created (the partial folder, missing parents); a resumed one is kept."""
        if self._made:
            shutil.rmtree(self.partial, ignore_errors=True)
            remove_empty(self._made[:-1])


def _new_file_beside(path: Path) -> Path:
    """A new empty file next to ``path``, with the umask's permissions (``os.open`` mode 0o666)."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise cannot_create(path, exc) from None
    raise RelpoolError(f"cannot write {path}: could not create a temporary file beside it")


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    missing = []
    for p in [folder, *folder.parents]:
        if p.exists():
            break
        missing.append(p)
    return missing


def _nearest_existing(folder: Path) -> Path:
    """``folder``, or its deepest parent that exists."""
    missing = _missing_folders(folder)
    return missing[-1].parent if missing else folder
