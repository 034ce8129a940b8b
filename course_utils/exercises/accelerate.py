"""Checkers for the exercises of notebook 05 (from a plain PyTorch loop to Accelerate).

1. :func:`check_accumulation`: gradient accumulation by hand, what ``accelerator.accumulate`` does.
2. :func:`check_pick_precision`: the mixed precision to ask for on a given machine.
3. :func:`check_launch_command`: the ``accelerate launch`` command for two processes on one CPU machine.

Main environment (torch, accelerate). Used in notebooks/05_accelerate.ipynb and its solutions notebook.
"""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path
from typing import Any, Callable

from course_utils.exercises import Feedback, LearnerCodeError, call_learner_code, correct, not_yet


class _CountingSGD:
    """Plain SGD that counts its steps (the checker's stand-in optimizer)."""

    def __init__(self, parameters: Any, lr: float) -> None:
        import torch

        self.inner = torch.optim.SGD(list(parameters), lr=lr)
        self.steps = 0

    def step(self) -> None:
        self.inner.step()
        self.steps += 1

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner.zero_grad(set_to_none=set_to_none)


def _tiny_problem(seed: int = 0) -> tuple[Any, list[dict[str, Any]]]:
    import torch

    generator = torch.Generator().manual_seed(seed)

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(4, 3)

        def forward(self, features: Any, labels: Any) -> Any:
            from types import SimpleNamespace

            logits = self.linear(features)
            return SimpleNamespace(loss=torch.nn.functional.cross_entropy(logits, labels), logits=logits)

    torch.manual_seed(seed)
    model = Model()
    batches = [
        {"features": torch.randn(5, 4, generator=generator), "labels": torch.randint(0, 3, (5,), generator=generator)}
        for _ in range(8)
    ]
    return model, batches


def _reference(
    model: Any, batches: list[dict[str, Any]], steps: int, lr: float, divide: bool = True, last_by_size: bool = False
) -> tuple[Any, int]:
    optimizer = _CountingSGD(model.parameters(), lr)
    last_start = len(batches) - len(batches) % steps
    for number, batch in enumerate(batches, start=1):
        loss = model(**batch).loss
        divisor = len(batches) % steps if last_by_size and number > last_start else steps
        (loss / divisor if divide else loss).backward()
        if number % steps == 0 or number == len(batches):
            optimizer.step()
            optimizer.zero_grad()
    return model, optimizer.steps


def check_accumulation(train_with_accumulation: Callable[..., Any]) -> Feedback:
    """Exercise 1: ``train_with_accumulation(model, optimizer, batches, accumulation_steps)``, by hand.

    Each batch's loss divided by ``accumulation_steps`` and backpropagated; one optimizer step (then
    ``zero_grad``) every ``accumulation_steps`` batches, and one for a last, incomplete group. The
    result must equal what ``accelerator.accumulate`` gives. Checked on a tiny model, 8 batches,
    ``accumulation_steps`` 4 and 3. Used in notebooks/05_accelerate.ipynb.
    """
    import torch

    for steps in (4, 3):
        model, batches = _tiny_problem()
        expected, expected_steps = _reference(*_tiny_problem(), steps=steps, lr=0.5)
        optimizer = _CountingSGD(model.parameters(), lr=0.5)
        try:
            call_learner_code(train_with_accumulation, model, optimizer, batches, steps)
        except LearnerCodeError as error:
            return error.feedback
        if optimizer.steps == 0:
            return not_yet("the optimizer never stepped: call optimizer.step() once every accumulation_steps batches.")
        if optimizer.steps == len(batches):
            return not_yet(f"the optimizer stepped after each of the {len(batches)} batches: step once every accumulation_steps batches.")
        if optimizer.steps != expected_steps:
            return not_yet(
                f"with {len(batches)} batches and accumulation_steps={steps}, the optimizer should step {expected_steps} times "
                f"(the last, incomplete group too), it stepped {optimizer.steps}."
            )
        got, want = model.linear.weight.detach(), expected.linear.weight.detach()
        if torch.allclose(got, want, atol=1e-6):
            continue
        if len(batches) % steps and torch.allclose(got, _reference(*_tiny_problem(), steps=steps, lr=0.5, last_by_size=True)[0].linear.weight.detach(), atol=1e-6):
            return not_yet(
                "the last, incomplete group is divided by its own size: divide by accumulation_steps there too, as "
                "Accelerate does."
            )
        undivided = _reference(*_tiny_problem(), steps=steps, lr=0.5, divide=False)[0].linear.weight.detach()
        if torch.allclose(got, undivided, atol=1e-6):
            return not_yet(
                f"the updates are {steps} times too large: divide each batch's loss by accumulation_steps before backward, "
                "so that the accumulated gradient is a mean, not a sum."
            )
        return not_yet(
            "the weights differ from accelerate's: backward every batch without zero_grad in between, and zero_grad "
            "only right after each optimizer step."
        )
    return correct(
        "the same weights as with accelerator.accumulate: gradients add up over the batches (each loss divided by "
        "the number of steps), and the optimizer steps once per group, as if the batch were that many times bigger."
    )


def check_pick_precision(pick_precision: Callable[[bool, bool], Any]) -> Feedback:
    """Exercise 2: ``pick_precision(cuda_available, bf16_supported)`` returns the ``mixed_precision`` to ask for.

    ``bf16_supported`` says whether the GPU supports bf16 (False without a GPU). ``"bf16"`` on a
    CPU (Accelerate runs bf16 autocast there) and on a GPU that supports it, ``"fp16"`` on a GPU
    without bf16. Used in notebooks/05_accelerate.ipynb.
    """
    cases = [
        ((False, False), "bf16", "on a CPU, Accelerate offers bf16 (fp16 needs a GPU: on a CPU it quietly trains in fp32)"),
        ((True, True), "bf16", "on a GPU with bf16 (A100, H100, recent consumer cards), bf16 keeps fp32's range without a loss scaler"),
        ((True, False), "fp16", "on a GPU without bf16 (a T4 or a V100, say), use fp16"),
    ]
    for arguments, expected, why in cases:
        try:
            answer = call_learner_code(pick_precision, *arguments)
        except LearnerCodeError as error:
            return error.feedback
        if answer != expected:
            machine = "a CPU" if not arguments[0] else f"a GPU {'with' if arguments[1] else 'without'} bf16"
            return not_yet(f"for {machine} it returns {answer!r}, expected {expected!r}: {why}.")
    return correct(
        "bf16 on CPUs and recent GPUs, fp16 on older GPUs; pass the answer to Accelerator(mixed_precision=...)."
    )


def check_launch_command(command: str, script: str = "train_emotion.py") -> Feedback:
    """Exercise 3: ``command`` launches ``script`` with ``accelerate launch`` on 2 processes of one CPU machine.

    Two processes on one machine start through ``--multi_gpu`` (PyTorch's torchrun), whatever the
    device: the training function's ``Accelerator(cpu=True)`` puts them on the CPU. With ``--cpu``,
    accelerate launch starts several processes only through MPI; otherwise it runs one. Parsed with
    Accelerate's own argument parser, so any spelling it accepts is fine. The script's own
    arguments come after it, ``PROFILE RESULTS_DIR [MAX_EXAMPLES]`` (notebook 05's
    ``train_emotion.py`` stops at once without them). Used in notebooks/05_accelerate.ipynb.
    """
    from accelerate.commands.launch import launch_command_parser

    from course_utils.machinery.profiles import PROFILES

    if not command:
        return not_yet("`command` is empty (or None): write the accelerate launch command line as a string.")
    words = shlex.split(command)
    if words[:2] != ["accelerate", "launch"]:
        return not_yet(f"the command starts with {' '.join(words[:2])!r}: start it with 'accelerate launch'.")
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # argparse prints the whole usage on a mistake
            arguments = launch_command_parser().parse_args(words[2:])
    except SystemExit:
        return not_yet("accelerate launch does not accept these options: check their spelling with `accelerate launch --help`.")
    if Path(arguments.training_script).name != script:
        return not_yet(f"the script to run is {arguments.training_script!r}: it should be {script!r}, after the options.")
    if arguments.num_processes != 2:
        return not_yet(f"--num_processes is {arguments.num_processes}: ask for 2 processes.")
    if arguments.num_machines not in (None, 1):
        return not_yet(f"--num_machines is {arguments.num_machines}: everything runs on this one machine.")
    if arguments.cpu and arguments.multi_gpu:
        return not_yet("--cpu and --multi_gpu cannot go together (accelerate launch refuses it): drop --cpu.")
    if arguments.cpu and not arguments.mpirun_hostfile:
        return not_yet(
            "with --cpu and no MPI, accelerate launch runs a single process: use --multi_gpu, which starts the processes "
            "with torchrun; the training function's Accelerator(cpu=True) puts them on the CPU."
        )
    if not arguments.multi_gpu:
        return not_yet("without --multi_gpu (or a saved `accelerate config`), accelerate launch starts one process: add --multi_gpu.")
    script_arguments = list(arguments.training_script_args)
    if any(word.startswith("-") for word in script_arguments):
        return not_yet(
            f"{script} reads its arguments by position, not as options: write them after it as PROFILE RESULTS_DIR, "
            f"`{script} smoke results/`."
        )
    if len(script_arguments) < 2:
        given = f"only {script_arguments[0]!r}" if script_arguments else "none"
        return not_yet(
            f"{script} needs its arguments PROFILE RESULTS_DIR after it (it got {given}) or it stops at once: end the "
            f"command with `{script} smoke results/`."
        )
    if script_arguments[0] not in PROFILES:
        return not_yet(
            f"{script}'s first argument is the profile, and {script_arguments[0]!r} is not one ({' or '.join(PROFILES)}): "
            f"write `{script} smoke results/`, the profile before the results folder."
        )
    if len(script_arguments) > 3 or (len(script_arguments) == 3 and not script_arguments[2].isdigit()):
        return not_yet(
            f"{script} takes PROFILE RESULTS_DIR [MAX_EXAMPLES], MAX_EXAMPLES a whole number, and it got "
            f"{' '.join(script_arguments)!r}: write `{script} smoke results/`."
        )
    return correct(
        "two processes on this machine; on a machine with 2 GPUs the same command puts one process on each GPU, and "
        "`accelerate config` can save these options once and for all."
    )
