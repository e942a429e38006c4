"""Two runs on one --out, Ctrl-C inside a DuckDB query, and the partial folder removed during training."""

import shutil

import duckdb
import pytest

import relpool
from relpool.errors import RelpoolError
from relpool.files import StagedFolder
from relpool.train.output import plan_fit_output
from tests.test_robustness import FIT_ARGS, QUERY, TINY, _listing

BUSY = r"another relpool fit is writing .*cc \(.*\.cc\.partial\); wait for it, or use --resume/--force"


def test_a_second_run_on_the_same_out_refuses_at_once(tmp_path):
    out = tmp_path / "runs" / "cc"
    first = plan_fit_output(out, [])
    first.create()
    (first.staged.partial / "model.safetensors").write_text("first run's")
    for kwargs in ({}, {"force": True}, {"resume": True}):
        with pytest.raises(RelpoolError, match=BUSY):
            plan_fit_output(out, [], **kwargs)
    assert (first.staged.partial / "model.safetensors").read_text() == "first run's"  # --force removed nothing
    first.staged.commit()
    first.staged.release()
    assert _listing(tmp_path) == {"runs", "runs/cc", "runs/cc/model.safetensors"}  # no lock file left
    shutil.rmtree(out)
    second = plan_fit_output(out, [])  # free again once released
    second.staged.release()


def test_the_lock_is_released_when_the_run_fails_and_parents_are_removed(tmp_path):
    a = StagedFolder(tmp_path / "x" / "m")
    a.lock()
    with pytest.raises(RelpoolError, match="another relpool fit is writing"):
        StagedFolder(tmp_path / "x" / "m").lock()
    a.release()
    assert _listing(tmp_path) == set()


def test_a_concurrent_fit_refuses_and_the_first_one_finishes(shop_db, tmp_path, monkeypatch):
    from relpool.train.loop import Loop

    out = tmp_path / "runs" / "cc"
    original = Loop.train_epoch
    seen = []

    def train_epoch(self, train, e, on_step=None):
        if not seen:  # the second run starts while the first trains
            with pytest.raises(RelpoolError, match=BUSY):
                relpool.fit(shop_db, QUERY, out, **TINY, force=True)
            seen.append(e)
        return original(self, train, e, on_step)

    monkeypatch.setattr(Loop, "train_epoch", train_epoch)
    relpool.fit(shop_db, QUERY, out, **TINY)
    assert seen and (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert not [p for p in _listing(tmp_path) if ".partial" in p or ".lock" in p]


@pytest.mark.parametrize(
    "error", [duckdb.InterruptException("INTERRUPT Error: Interrupted!"), RuntimeError("Query interrupted")]
)
def test_ctrl_c_inside_a_duckdb_query_keeps_the_checkpoint(shop_db, tmp_path, run_cli, monkeypatch, error):
    from relpool.train.loop import Loop

    original = Loop.train_epoch

    def train_epoch(self, train, e, on_step=None):
        if e == 2:
            raise error
        return original(self, train, e, on_step)

    monkeypatch.setattr(Loop, "train_epoch", train_epoch)
    code, stdout, stderr = run_cli("fit", shop_db, QUERY, "--out", tmp_path / "m", *FIT_ARGS)
    assert code == 130 and stderr.strip().splitlines()[-1] == "interrupted; resume with --resume"
    assert "Traceback" not in stdout + stderr
    assert (tmp_path / ".m.partial" / "checkpoint" / "state.json").is_file()
    assert not (tmp_path / ".m.lock").exists()


def test_a_duckdb_interrupt_outside_fit_exits_130(shop_db, run_cli, monkeypatch):
    import relpool.db

    def interrupted(*args, **kwargs):
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    monkeypatch.setattr(relpool.db, "inspect_database", interrupted)
    code, stdout, stderr = run_cli("inspect", shop_db)
    assert code == 130 and stderr.strip() == "interrupted" and "Traceback" not in stdout + stderr


def test_the_partial_folder_removed_during_training_is_one_clear_error(shop_db, tmp_path, monkeypatch):
    from relpool.train.loop import Loop

    original = Loop.train_epoch

    def train_epoch(self, train, e, on_step=None):
        if e == 2:
            shutil.rmtree(tmp_path / "runs")  # the user deleted the parent
        return original(self, train, e, on_step)

    monkeypatch.setattr(Loop, "train_epoch", train_epoch)
    with pytest.raises(RelpoolError, match=r"the folder being built \(.*\.m\.partial\) disappeared during training"):
        relpool.fit(shop_db, QUERY, tmp_path / "runs" / "m", **{**TINY, "epochs": 2})
    assert _listing(tmp_path) == set()
