"""Notebook 05's exercise checkers: right answers pass, typical mistakes get their sentence."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.main_env


@pytest.fixture(scope="module")
def ex():
    from course_utils.exercises import accelerate

    return accelerate


def by_hand(model, optimizer, batches, accumulation_steps):
    for number, batch in enumerate(batches, start=1):
        loss = model(**batch).loss / accumulation_steps
        loss.backward()
        if number % accumulation_steps == 0 or number == len(batches):
            optimizer.step()
            optimizer.zero_grad()


def variant(divide=True, every=True, zero_each_batch=False, last_group=True, last_by_size=False):
    def train_with_accumulation(model, optimizer, batches, accumulation_steps):
        steps = accumulation_steps if every else 1
        last_start = len(batches) - len(batches) % accumulation_steps
        for number, batch in enumerate(batches, start=1):
            loss = model(**batch).loss
            divisor = len(batches) % accumulation_steps if last_by_size and number > last_start else accumulation_steps
            (loss / divisor if divide else loss).backward()
            if number % steps == 0 or (last_group and number == len(batches)):
                optimizer.step()
                optimizer.zero_grad()
            elif zero_each_batch:
                optimizer.zero_grad()

    return train_with_accumulation


def test_accumulation_accepts_the_right_answer(ex) -> None:
    feedback = ex.check_accumulation(by_hand)
    assert feedback.passed, feedback


@pytest.mark.parametrize(
    "answer, expected",
    [
        (variant(divide=False), "4 times too large"),
        (variant(every=False), "stepped after each of the 8 batches"),
        (variant(zero_each_batch=True), "zero_grad only right after each optimizer step"),
        (variant(last_group=False), "the last, incomplete group too"),
        (variant(last_by_size=True), "divided by its own size"),
        (lambda model, optimizer, batches, accumulation_steps: None, "never stepped"),
    ],
    ids=["not divided", "every batch", "zero_grad each batch", "last group dropped", "last by size", "nothing"],
)
def test_accumulation_rejects_typical_mistakes(ex, answer, expected: str) -> None:
    feedback = ex.check_accumulation(answer)
    assert not feedback.passed and expected in feedback.message


def test_pick_precision(ex) -> None:
    def right(cuda_available, bf16_supported):
        return "bf16" if not cuda_available or bf16_supported else "fp16"

    assert ex.check_pick_precision(right).passed
    wrong = {
        "fp16 everywhere": (lambda cuda, bf16: "fp16", "for a CPU it returns 'fp16'"),
        "bf16 everywhere": (lambda cuda, bf16: "bf16", "for a GPU without bf16 it returns 'bf16'"),
        "no on CPU": (lambda cuda, bf16: "no" if not cuda else right(cuda, bf16), "for a CPU it returns 'no'"),
    }
    for answer, expected in wrong.values():
        feedback = ex.check_pick_precision(answer)
        assert not feedback.passed and expected in feedback.message


@pytest.mark.parametrize(
    "command",
    [
        "accelerate launch --multi_gpu --num_processes 2 train_emotion.py smoke results/",  # the solutions notebook's
        "accelerate launch --num_processes=2 --num_machines 1 --multi_gpu train_emotion.py smoke results/",
        "accelerate launch --multi_gpu --num_processes 2 ./train_emotion.py smoke results/",
        "accelerate launch --multi_gpu --num_processes 2 train_emotion.py full /tmp/results 64",
    ],
)
def test_launch_command_accepts_right_answers(ex, command: str) -> None:
    assert ex.check_launch_command(command).passed


def test_launch_command_solution_output_is_unchanged(ex) -> None:
    feedback = ex.check_launch_command("accelerate launch --multi_gpu --num_processes 2 train_emotion.py smoke results/")
    assert repr(feedback) == (
        "Correct: two processes on this machine; on a machine with 2 GPUs the same command puts one process on each "
        "GPU, and `accelerate config` can save these options once and for all."
    )


@pytest.mark.parametrize(
    "command, expected",
    [
        (
            "accelerate launch --multi_gpu --num_processes 2 train_emotion.py",
            "train_emotion.py needs its arguments PROFILE RESULTS_DIR after it (it got none) or it stops at once: "
            "end the command with `train_emotion.py smoke results/`.",
        ),
        ("accelerate launch --multi_gpu --num_processes 2 train_emotion.py smoke", "(it got only 'smoke')"),
        ("accelerate launch --multi_gpu --num_processes 2 train_emotion.py results/ smoke", "'results/' is not one (smoke or full)"),
        ("accelerate launch --multi_gpu --num_processes 2 train_emotion.py --profile smoke --results_dir results/", "by position, not as options"),
        ("accelerate launch --multi_gpu --num_processes 2 train_emotion.py smoke results/ all", "MAX_EXAMPLES a whole number"),
        ("accelerate launch --multi_gpu --num_processes 2 train_emotion.py smoke results/ 64 extra", "it got 'smoke results/ 64 extra'"),
    ],
    ids=["no arguments", "no results folder", "swapped", "as options", "MAX_EXAMPLES not a number", "too many"],
)
def test_launch_command_rejects_wrong_script_arguments(ex, command: str, expected: str) -> None:
    feedback = ex.check_launch_command(command)
    assert not feedback.passed and expected in feedback.message


@pytest.mark.parametrize(
    "command, expected",
    [
        ("", "is empty"),
        ("python train_emotion.py", "start it with 'accelerate launch'"),
        ("accelerate launch --num_processes 2 train_emotion.py", "add --multi_gpu"),
        ("accelerate launch --cpu --num_processes 2 train_emotion.py", "with --cpu and no MPI"),
        ("accelerate launch --cpu --multi_gpu --num_processes 2 train_emotion.py", "drop --cpu"),
        ("accelerate launch --multi_gpu train_emotion.py", "ask for 2 processes"),
        ("accelerate launch --multi_gpu --num_processes 2 --num_machines 2 train_emotion.py", "this one machine"),
        ("accelerate launch --multi_gpu --num_processes 2 other.py", "it should be 'train_emotion.py'"),
        ("accelerate launch --multi_gpus --num_processes 2 train_emotion.py", "check their spelling"),
    ],
    ids=["empty", "python", "no multi_gpu", "cpu", "cpu and multi_gpu", "one process", "two machines", "other script", "typo"],
)
def test_launch_command_rejects_typical_mistakes(ex, command: str, expected: str, capsys) -> None:
    feedback = ex.check_launch_command(command)
    assert not feedback.passed and expected in feedback.message
    assert capsys.readouterr().err == ""  # no argparse usage dumped on the learner
