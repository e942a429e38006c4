"""``--device`` and the prefetching loader: CPU here (the machine has no GPU), the CUDA path refused clearly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from relpool.errors import RelpoolError
from relpool.train.device import pinned, resolve_device, to_device
from relpool.train.prefetch import prefetched

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
NO_GPU = not torch.cuda.is_available()


def test_cpu_and_auto_resolve_to_a_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("name", ["gpu", "auto:0", "", "cuda:x"])
def test_an_unknown_device_is_one_sentence(name):
    with pytest.raises(RelpoolError, match="--device must be cpu, cuda"):
        resolve_device(name)


@pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_one_clear_error(run_cli, tmp_path):
    with pytest.raises(RelpoolError, match="needs a CUDA GPU, but torch sees none"):
        resolve_device("cuda")
    code, _, err = run_cli("evaluate", GOLDEN / "binary", GOLDEN / "db", "--device", "cuda")
    assert code == 2 and err.strip().splitlines() == [
        "error: --device cuda needs a CUDA GPU, but torch sees none; use --device cpu or auto"
    ]
    code, _, err = run_cli(
        "fit",
        GOLDEN / "db",
        "PREDICT customers.name FOR EACH customers.customer_id",
        "--out",
        tmp_path / "m",
        "--device",
        "cuda",
    )
    assert code == 2 and "needs a CUDA GPU" in err and not (tmp_path / "m").exists()


def test_on_the_cpu_nothing_is_copied_or_pinned():
    x = torch.arange(4)
    assert to_device(x, torch.device("cpu")) is x and pinned(x, torch.device("cpu")) is x


def test_a_model_evaluates_the_same_on_the_device_auto_picks(tmp_path):
    import relpool

    db, folder = str(GOLDEN / "db"), GOLDEN / "binary"
    assert relpool.Model.load(folder, "auto").evaluate(db) == relpool.Model.load(folder).evaluate(db)


def test_prefetched_keeps_the_order_and_computes_on_another_thread():
    threads = []

    def items():
        for i in range(50):
            threads.append(threading.current_thread())
            yield i

    assert list(prefetched(items(), depth=3)) == list(range(50))
    assert all(t is not threading.current_thread() for t in threads)


def test_prefetched_raises_the_producers_error_in_the_consumer():
    def items():
        yield 1
        raise ValueError("sampling failed")

    got = []
    with pytest.raises(ValueError, match="sampling failed"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1]


def test_stopping_early_ends_the_producer():
    produced = []

    def items():
        for i in range(1000):
            produced.append(i)
            yield i

    for item in prefetched(items(), depth=2):
        if item == 3:
            break
    assert len(produced) <= 3 + 1 + 2 + 1  # the items taken, the queue's depth, the one being put
    assert not any(t.name == "relpool-prefetch" for t in threading.enumerate())


def test_on_the_cpu_batches_are_sampled_in_line(monkeypatch):
    """A sampler thread beside torch's threads competes for the same cores: on the CPU it only slows training."""
    import relpool
    from relpool.train import loop

    def refused(items, depth=1):
        raise AssertionError("prefetched on the CPU")

    monkeypatch.setattr(loop, "prefetched", refused)
    relpool.Model.load(GOLDEN / "binary").evaluate(str(GOLDEN / "db"))
