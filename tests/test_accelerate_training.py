"""Notebook 05's loops: one process and two, resuming, mixed precision, the CPU trap (main environment)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.main_env

ROOT = Path(__file__).resolve().parent.parent

TINY = """
import torch
from datasets import Dataset, DatasetDict
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from course_utils.machinery.assets import offline_minilm_path


def tiny_data(train=64, validation=20):
    generator = torch.Generator().manual_seed(0)
    def split(n):
        return Dataset.from_dict({
            "input_ids": torch.randint(1, 100, (n, 6), generator=generator).tolist(),
            "attention_mask": [[1] * 6] * n,
            "labels": (torch.arange(n) % 3).tolist(),
        })
    return DatasetDict({"train": split(train), "validation": split(validation)})


def tiny_model():
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=3)
    return BertForSequenceClassification(config)


TOKENIZER = AutoTokenizer.from_pretrained(offline_minilm_path())
"""
@pytest.fixture(scope="module")
def tiny() -> dict:
    """The helpers of TINY, run in this process (the launched scripts below run the same text)."""
    namespace: dict = {}
    exec(TINY, namespace)  # noqa: S102
    return namespace


@pytest.fixture(autouse=True)
def fresh_state():
    from course_utils.accelerate_training import reset_accelerator_state

    reset_accelerator_state()
    yield
    reset_accelerator_state()


def run(tiny, function, data, batch_size=8, epochs=2, lr=1e-3, accelerator=None, **options):
    from accelerate.utils import set_seed

    from course_utils.accelerate_training import make_dataloaders

    set_seed(0)
    model = tiny["tiny_model"]()
    train, evaluation = make_dataloaders(data, tiny["TOKENIZER"], batch_size)
    if accelerator is None:
        return function(model, train, evaluation, epochs, lr)
    return function(accelerator, model, train, evaluation, epochs, lr, **options)


def test_on_one_process_accelerate_repeats_the_plain_loop_exactly(tiny) -> None:
    from accelerate import Accelerator

    from course_utils.accelerate_training import train_accelerate, train_plain

    data = tiny["tiny_data"]()
    plain = run(tiny, train_plain, data)
    accelerated = run(tiny, train_accelerate, data, accelerator=Accelerator(cpu=True))
    assert plain["losses"] == accelerated["losses"] and len(plain["losses"]) == 16
    assert accelerated["optimizer_steps"] == 16 and accelerated["batches"] == 16
    assert len(accelerated["predictions"]) == 20


def test_resuming_from_a_saved_state_continues_with_the_same_losses(tiny, tmp_path: Path) -> None:
    from accelerate import Accelerator

    from course_utils.accelerate_training import reset_accelerator_state, train_accelerate

    data = tiny["tiny_data"]()
    whole = run(tiny, train_accelerate, data, accelerator=Accelerator(cpu=True), checkpoint_dir=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_1", "epoch_2"]
    reset_accelerator_state()
    resumed = run(tiny, train_accelerate, data, accelerator=Accelerator(cpu=True), checkpoint_dir=str(tmp_path), start_epoch=1)
    assert resumed["losses"] == whole["losses"][8:]
    assert resumed["predictions"].tolist() == whole["predictions"].tolist()
    reset_accelerator_state()
    fresh = run(tiny, train_accelerate, data, accelerator=Accelerator(cpu=True), epochs=1)  # guards against a trivial pass
    assert fresh["losses"] != whole["losses"][8:]


def test_bf16_mixed_precision_runs_on_a_cpu_and_accumulation_steps_less_often(tiny) -> None:
    import math

    import torch
    from accelerate import Accelerator

    from course_utils.accelerate_training import train_accelerate

    accelerator = Accelerator(cpu=True, mixed_precision="bf16", gradient_accumulation_steps=2)
    result = run(tiny, train_accelerate, tiny["tiny_data"](), accelerator=accelerator)
    assert all(math.isfinite(loss) for loss in result["losses"])
    assert result["batches"] == 16 and result["optimizer_steps"] == 8
    model = result["model"]
    seen = []
    handle = accelerator.unwrap_model(model).classifier.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    logits = model(input_ids=torch.ones(1, 4, dtype=torch.long)).logits
    handle.remove()
    assert seen == [torch.bfloat16]  # computed in bf16 inside the model...
    assert logits.dtype == torch.float32  # ...and handed back in fp32 by the prepared model


def free_port() -> str:
    """A port nobody listens on now: each launch gets its own (torch's default 29500 can still be held by the
    previous launch's connections, or by another run on this machine: EADDRINUSE)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def launch(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    """Run ``body`` as a script with arguments: its folder, and a free port for ``notebook_launcher``."""
    script = tmp_path / "launch.py"
    script.write_text(TINY + textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script), str(tmp_path), free_port()], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_two_processes_share_the_batches_and_evaluation_counts_every_example_once(tmp_path: Path) -> None:
    done = launch(tmp_path, """
        import json, sys
        from accelerate import Accelerator, notebook_launcher
        from accelerate.utils import patch_environment, set_seed
        from course_utils.accelerate_training import check_data_parallel, make_dataloaders, train_accelerate

        def work(folder):
            accelerator = Accelerator(cpu=True)
            check_data_parallel(accelerator)
            set_seed(0)
            train, evaluation = make_dataloaders(tiny_data(train=64, validation=50), TOKENIZER, 8)
            result = train_accelerate(accelerator, tiny_model(), train, evaluation, 1, 1e-3)
            report = {key: result[key] for key in ("batches", "optimizer_steps")}
            report.update(evaluated=len(result["predictions"]), processes=accelerator.num_processes,
                          labels=result["references"].tolist())
            open(f"{folder}/rank_{accelerator.process_index}.json", "w").write(json.dumps(report))

        with patch_environment(omp_num_threads=1):
            notebook_launcher(work, args=(sys.argv[1],), num_processes=2, use_port=sys.argv[2])
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    reports = [json.loads((tmp_path / f"rank_{rank}.json").read_text()) for rank in (0, 1)]
    assert [r["processes"] for r in reports] == [2, 2]
    assert [r["batches"] for r in reports] == [4, 4]  # 64 examples in batches of 8: 8 batches, 4 each
    assert [r["optimizer_steps"] for r in reports] == [4, 4]
    # 50 is not a multiple of 2 processes x 8: the last batches are padded, and gather_for_metrics drops the padding.
    assert [r["evaluated"] for r in reports] == [50, 50]
    assert reports[0]["labels"] == [i % 3 for i in range(50)]  # gathered back in the dataset's order


def test_a_plain_accelerator_in_launched_cpu_processes_is_caught(tmp_path: Path) -> None:
    done = launch(tmp_path, """
        import sys
        from accelerate import Accelerator, notebook_launcher
        from accelerate.utils import patch_environment
        from course_utils.accelerate_training import check_data_parallel

        def work():
            check_data_parallel(Accelerator())  # no cpu=True, on a machine without a GPU

        with patch_environment(omp_num_threads=1):
            notebook_launcher(work, num_processes=2, use_port=sys.argv[2])
    """)
    assert done.returncode != 0
    assert "launched as one of 2, but its Accelerator sees 1" in done.stdout + done.stderr
    assert "Accelerator(cpu=True)" in done.stdout + done.stderr


def test_check_data_parallel_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelerate import Accelerator

    from course_utils.accelerate_training import DataParallelError, check_data_parallel

    accelerator = Accelerator(cpu=True)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    check_data_parallel(accelerator)
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(DataParallelError, match="each process would train alone"):
        check_data_parallel(accelerator)


_RANK_REPORT = """
import dataclasses, json, sys
from types import MappingProxyType

from course_utils.notebook_setup import setup

assets = setup("05_accelerate", "smoke")  # the talks' ids on the smoke profile's local Hub, as in the notebook
assets = dataclasses.replace(
    assets,
    splits=MappingProxyType({"train": 32, "validation": 20}),
    settings=MappingProxyType({**assets.settings, "epochs": 1}),
)
from course_utils.accelerate_training import read_rank_reports, training_function

training_function(assets, sys.argv[1])
print(json.dumps(read_rank_reports(sys.argv[1])))
"""


def test_training_function_writes_its_rank_report(tmp_path: Path) -> None:
    from course_utils.accelerate_training import read_rank_reports

    done = subprocess.run(
        [sys.executable, "-c", _RANK_REPORT, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [report] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rank"] == 0 and report["processes"] == 1
    assert report["batches"] == report["optimizer_steps"] == 2 and report["evaluated"] == 20
    assert report["train_examples"] == 32 and report["validation_examples"] == 20  # what the check cell divides
    assert 0 <= report["f1_macro"] <= 1 and report["seconds"] > 0
    with pytest.raises(FileNotFoundError, match="did the launched training fail"):
        read_rank_reports(tmp_path / "nothing")
