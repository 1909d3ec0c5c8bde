"""nanochat v1 checkpoints: read, choose, write.

A checkpoint is ``model_NNNNNN.pt`` (a torch.save of the model state_dict), ``meta_NNNNNN.json`` (step,
model_config, user_config, metrics) and optionally ``optim_NNNNNN_rank<R>.pt``, in
``$NANOCHAT_BASE_DIR/<phase>_checkpoints/<tag>/``.

Choosing a checkpoint never lets an old run hide a new one. nanochat v1 takes the highest step in a
directory, so a new, shorter fine-tuning run written beside an older, longer one was silently ignored
("always pass --step"). Here every checkpoint we write carries ``run_id``, ``created_at`` and ``parent``
(lineage) in its meta; the newest run wins, then its highest step. Plain v1 directories (no run_id) are
one run each, dated by their meta file's modification time. Every choice comes with a reason to print.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import torch

from nanochat.common import PHASE_DIRS, atomic_write, get_base_dir
from nanochat.gpt import GPT, GPTConfig

# the one spelling of the file names (with model_path, meta_path, optimizer_path below)
MODEL_FILE = re.compile(r"^model_(\d{6,})\.pt$")
OPTIMIZER_FILE = re.compile(r"^optim_(\d{6,})_rank(\d+)\.pt$")
COMPILE_PREFIX = "_orig_mod."  # torch.compile'd models save their keys under this prefix
CONFIG_KEYS = {"sequence_len", "vocab_size", "n_layer", "n_head", "n_kv_head", "n_embd"}
# state_dict entries of later nanochat architectures, named in the refusal so users know what they have
LATER_ARCHITECTURE_HINTS = ("resid_lambdas", "x0_lambdas", "value_embeds", "ve_gate", "smear", "window")


class IncompatibleCheckpoint(ValueError):
    """The files are not a nanochat v1 model (a later architecture, or incomplete)."""


class CheckpointChoice(NamedTuple):
    directory: Path
    step: int
    reason: str


def model_path(directory: Path, step: int) -> Path:
    return Path(directory) / f"model_{step:06d}.pt"


def meta_path(directory: Path, step: int) -> Path:
    return Path(directory) / f"meta_{step:06d}.json"


def optimizer_path(directory: Path, step: int, rank: int = 0) -> Path:
    return Path(directory) / f"optim_{step:06d}_rank{rank}.pt"


def list_steps(directory: Path) -> list[int]:
    """Steps with both a model and a meta file (a crash between the two renames leaves neither visible)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    steps = [int(m.group(1)) for p in directory.iterdir() if (m := MODEL_FILE.match(p.name))]
    return sorted(s for s in steps if meta_path(directory, s).is_file())


def optimizer_steps(directory: Path, rank: int = 0) -> list[int]:
    """Steps with a complete checkpoint and this rank's optimizer state (the resumable ones)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = {int(m.group(1)) for p in directory.iterdir()
             if (m := OPTIMIZER_FILE.match(p.name)) and int(m.group(2)) == rank}
    return sorted(found.intersection(list_steps(directory)))


def optimizer_files(directory: Path) -> dict[Path, int]:
    """Every optimizer state file in ``directory`` (any rank) -> its step."""
    directory = Path(directory)
    return {p: int(m.group(1)) for p in directory.glob("optim_*.pt") if (m := OPTIMIZER_FILE.match(p.name))}


def read_meta(directory: Path, step: int) -> dict[str, Any]:
    path = meta_path(directory, step)
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise IncompatibleCheckpoint(f"{path}: unreadable checkpoint meta ({e})") from e


# ---------------------------------------------------------------------------------------------------
# choosing


def _run_time(meta: dict[str, Any], meta_file: Path) -> datetime:
    """When a checkpoint was made: its meta's created_at, else (plain v1 files) the meta file's mtime."""
    stamp = meta.get("created_at")
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(meta_file.stat().st_mtime, tz=UTC)


# v1 files carry no run id; a lower step written this much later than the highest one is a newer run
# (one run writes its steps in order; copying a directory writes them all within seconds)
V1_NEWER_RUN_GAP_S = 60


def _runs(directory: Path) -> dict[str, list[tuple[int, datetime]]]:
    """run id -> [(step, time)] in step order. Checkpoints without a run_id are one v1 group, keyed ''."""
    runs: dict[str, list[tuple[int, datetime]]] = {}
    for step in list_steps(directory):
        meta = read_meta(directory, step)
        runs.setdefault(str(meta.get("run_id") or ""), []).append(
            (step, _run_time(meta, meta_path(directory, step)))
        )
    return runs


def _newest(checkpoints: list[tuple[int, datetime]]) -> datetime:
    return max(when for _, when in checkpoints)


def _step_of_run(run: str, checkpoints: list[tuple[int, datetime]]) -> tuple[int, str]:
    """The highest step of a run; for v1 files, a lower step clearly written later wins (a newer run)."""
    highest, highest_time = checkpoints[-1]
    latest, latest_time = max(checkpoints, key=lambda c: c[1])
    if run or latest == highest or (latest_time - highest_time).total_seconds() <= V1_NEWER_RUN_GAP_S:
        return highest, f"highest step of {'run ' + run if run else 'nanochat v1 files'}"
    minutes = (latest_time - highest_time).total_seconds() / 60
    return latest, (
        f"step {latest} was written {minutes:.0f} min after the higher step {highest} (v1 files carry no "
        "run id, so it is a newer run; pass a step to load another)"
    )


def _choose_step(directory: Path, step: int | None) -> CheckpointChoice:
    steps = list_steps(directory)
    if not steps:
        raise FileNotFoundError(f"{directory}: no checkpoint (model_NNNNNN.pt with its meta_NNNNNN.json)")
    if step is not None:
        if step not in steps:
            raise FileNotFoundError(f"{directory}: no checkpoint at step {step} (steps: {steps})")
        return CheckpointChoice(directory, step, f"step {step} as requested")
    runs = _runs(directory)
    if len(runs) == 1:
        ((run, checkpoints),) = runs.items()
        chosen, why = _step_of_run(run, checkpoints)
        return CheckpointChoice(directory, chosen, f"{why}, the only run in the directory")
    run, checkpoints = max(runs.items(), key=lambda kv: _newest(kv[1]))
    chosen, why = _step_of_run(run, checkpoints)
    others = ", ".join(
        f"{r or 'v1 files'} (steps {c[0][0]}..{c[-1][0]})" for r, c in runs.items() if r != run
    )
    return CheckpointChoice(
        directory,
        chosen,
        f"{why}, the newest run by meta timestamp ({_newest(checkpoints):%Y-%m-%d %H:%M:%S} UTC); "
        f"older runs here: {others}",
    )


def _tag_size(tag: str) -> int | None:
    m = re.fullmatch(r"d(\d+)", tag)
    return int(m.group(1)) if m else None


def _choose_tag(phase_dir: Path) -> tuple[Path, str]:
    tags = (
        sorted(p for p in phase_dir.iterdir() if p.is_dir() and list_steps(p)) if phase_dir.is_dir() else []
    )
    if not tags:
        raise FileNotFoundError(f"{phase_dir}: no checkpoint directories")
    if len(tags) == 1:
        return tags[0], f"only tag {tags[0].name}"
    newest = {t: max(_newest(c) for c in _runs(t).values()) for t in tags}
    ours = any("run_id" in read_meta(t, s) for t in tags for s in list_steps(t))
    sizes = {t: _tag_size(t.name) for t in tags}
    if not ours and all(size is not None for size in sizes.values()):
        # only v1 files, all named d<depth>: take the largest model, as nanochat does
        best = max(tags, key=lambda t: sizes[t])
        return best, f"largest model tag {best.name} among {', '.join(t.name for t in tags)}"
    best = max(tags, key=lambda t: newest[t])
    clock = "meta timestamp" if ours else "meta file modification time (v1 files carry no timestamp)"
    names = ", ".join(t.name for t in tags)
    return (
        best,
        f"newest run by {clock}: tag {best.name} ({newest[best]:%Y-%m-%d %H:%M:%S} UTC) among {names}",
    )


def find_checkpoint(
    path: str | Path | None = None,
    *,
    phase: str = "base",
    tag: str | None = None,
    step: int | None = None,
    base_dir: str | Path | None = None,
) -> CheckpointChoice:
    """The checkpoint directory and step to load, and why.

    ``path`` may be a ``model_NNNNNN.pt`` file, a checkpoint directory, a ``<phase>_checkpoints``
    directory, or a nanochat base directory; without it, ``base_dir`` (default $NANOCHAT_BASE_DIR or
    ~/.cache/nanochat) is used. ``tag`` picks the run directory; ``step`` a step inside it."""
    assert phase in PHASE_DIRS, f"unknown phase {phase!r} (one of {sorted(PHASE_DIRS)})"
    if path is not None:
        path = Path(path).expanduser()
        if path.is_file():
            m = MODEL_FILE.match(path.name)
            if not m:
                raise FileNotFoundError(f"{path}: not a model_NNNNNN.pt checkpoint file")
            found = int(m.group(1))
            if not meta_path(path.parent, found).is_file():
                raise FileNotFoundError(
                    f"{path}: its meta file {meta_path(path.parent, found).name} is missing"
                )
            return CheckpointChoice(path.parent, found, f"file {path.name} given")
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such checkpoint file or directory")
        if list_steps(path):
            return _choose_step(path, step)
        if any((path / d).is_dir() for d in [*PHASE_DIRS.values(), "tokenizer"]):  # a base directory
            base_dir = path
        else:
            return _choose_from_phase_dir(path, tag, step)
    phase_dir = Path(base_dir).expanduser() if base_dir is not None else get_base_dir()
    return _choose_from_phase_dir(phase_dir / PHASE_DIRS[phase], tag, step)


def _choose_from_phase_dir(phase_dir: Path, tag: str | None, step: int | None) -> CheckpointChoice:
    if tag is not None:
        directory, why_tag = phase_dir / tag, f"tag {tag} as requested"
        if not directory.is_dir():
            raise FileNotFoundError(f"{directory}: no such checkpoint directory")
    else:
        directory, why_tag = _choose_tag(phase_dir)
    choice = _choose_step(directory, step)
    return choice._replace(reason=f"{why_tag}; {choice.reason}")


# ---------------------------------------------------------------------------------------------------
# loading


def model_config_from_meta(meta: dict[str, Any], where: Path) -> GPTConfig:
    config = meta.get("model_config")
    if not isinstance(config, dict):
        raise IncompatibleCheckpoint(f"{where}: meta has no model_config")
    extra, missing = set(config) - CONFIG_KEYS, CONFIG_KEYS - set(config)
    if extra:
        raise IncompatibleCheckpoint(
            f"{where}: model_config has {sorted(extra)}: this checkpoint comes from a later nanochat architecture; "
            "only nanochat v1 checkpoints (the released d32/d34 format) are supported"
        )
    if missing:
        raise IncompatibleCheckpoint(
            f"{where}: model_config lacks {sorted(missing)}; not a nanochat v1 checkpoint"
        )
    return GPTConfig(**{k: int(config[k]) for k in CONFIG_KEYS})


def check_state_dict(state: dict[str, torch.Tensor], model: GPT, where: Path) -> None:
    """Exactly the v1 keys and shapes, or a message saying what differs and what that means."""
    expected = model.state_dict()
    extra = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state))
    if extra:
        later = [k for k in extra if any(h in k for h in LATER_ARCHITECTURE_HINTS)]
        kind = "comes from a later nanochat architecture" if later else "is not a nanochat v1 model"
        raise IncompatibleCheckpoint(
            f"{where}: this checkpoint {kind}: unexpected keys {extra[:6]}{' ...' if len(extra) > 6 else ''}; "
            "only nanochat v1 checkpoints (the released d32/d34 format) are supported"
        )
    if missing:
        raise IncompatibleCheckpoint(
            f"{where}: missing keys {missing[:6]}{' ...' if len(missing) > 6 else ''}: not a complete nanochat v1 "
            "checkpoint (or from another nanochat architecture)"
        )
    for key, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            raise IncompatibleCheckpoint(
                f"{where}: {key} has shape {tuple(tensor.shape)}, model_config implies {tuple(expected[key].shape)}"
            )


def load_checkpoint(
    directory: str | Path,
    step: int,
    device: str | torch.device = "cpu",
    load_optimizer: bool = False,
    rank: int = 0,
) -> tuple[dict[str, torch.Tensor], Any, dict[str, Any]]:
    """(model state_dict, optimizer state or None, meta), weights_only (no code runs from the file)."""
    directory = Path(directory)
    path = model_path(directory, step)
    state = torch.load(path, map_location=device, weights_only=True)
    state = {k.removeprefix(COMPILE_PREFIX): v for k, v in state.items()}
    optimizer = None
    if load_optimizer:
        optimizer = torch.load(optimizer_path(directory, step, rank), map_location=device, weights_only=True)
    return state, optimizer, read_meta(directory, step)


def load_model(
    directory: str | Path, step: int, device: str | torch.device = "cpu", phase: str = "eval"
) -> tuple[GPT, dict[str, Any]]:
    """Build the v1 GPT from meta's model_config and load its weights. On CPU (and MPS), bfloat16 tensors
    are upcast to float32 as the reference loader does; on CUDA they stay as stored (bf16 embedding)."""
    assert phase in ("train", "eval"), f"phase must be train or eval, not {phase!r}"
    device = torch.device(device)
    state, _, meta = load_checkpoint(directory, step, device)
    where = model_path(Path(directory), step)
    config = model_config_from_meta(meta, meta_path(Path(directory), step))
    if device.type in ("cpu", "mps"):
        state = {k: v.float() if v.dtype == torch.bfloat16 else v for k, v in state.items()}
    with torch.device("meta"):
        model = GPT(config)
    check_state_dict(state, model, where)
    model.to_empty(device=device)
    model.init_rotary(device)
    model.load_state_dict(state, strict=True, assign=True)
    model.train(phase == "train")
    return model, meta


# ---------------------------------------------------------------------------------------------------
# saving


def _atomic_torch_save(obj: Any, path: Path) -> None:
    with atomic_write(path, "wb") as fh:
        torch.save(obj, fh)


def save_checkpoint(
    directory: str | Path,
    step: int,
    model_state: dict[str, torch.Tensor],
    meta: dict[str, Any],
    optimizer_state: Any = None,
    rank: int = 0,
) -> Path:
    """Write a v1 checkpoint. Each file goes to a temporary name and is renamed into place; the meta is
    written last, so a checkpoint is only visible (``list_steps``) once all its files are complete.
    Keys are saved without the torch.compile prefix so nanochat's own loader reads the file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k.removeprefix(COMPILE_PREFIX): v for k, v in model_state.items()}
    config = meta.get("model_config")
    assert isinstance(config, dict) and set(config) == CONFIG_KEYS, (
        f"meta['model_config'] must hold exactly {sorted(CONFIG_KEYS)}"
    )
    meta = {"step": step, **meta, "created_at": meta.get("created_at") or datetime.now(UTC).isoformat()}
    assert meta["step"] == step, f"meta step {meta['step']} != checkpoint step {step}"
    if rank == 0:
        _atomic_torch_save(state, model_path(directory, step))
    if optimizer_state is not None:
        _atomic_torch_save(optimizer_state, optimizer_path(directory, step, rank))
    if rank == 0:
        with atomic_write(meta_path(directory, step), "w") as fh:
            json.dump(meta, fh, indent=2)
    return directory
