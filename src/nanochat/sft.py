"""Supervised fine-tuning of a nanochat v1 model on packed conversations.

One entry point, ``train(cfg, model, tokenizer, train_convs, val_convs)`` (``cfg`` is a
``nanochat.train_config.TrainConfig``); the pieces it is made of (``Runner`` for the optimizer step and
evaluation, ``probe_micro_batch``) are shared with benchmarks/train_throughput.py so the benchmark times
exactly the loop users run.

An optimizer step holds about ``conversations_per_step`` conversations (32, as nanochat v1's chat_sft),
however many packed rows that takes; speed comes from packing and the micro-batch, not from fewer,
larger steps.

The loss of one optimizer step is the sum of per-token losses over every trained target of the step,
divided by the number of those targets in the whole step (all micro-batches, all ranks). The gradient
therefore does not depend on how the step is cut into micro-batches or ranks: an automatically sized
micro-batch, a resumed run and a 2-process run all follow the same trajectory. A micro-batch with no
trained target contributes exactly zero.

Resume: the data plan is a pure function of (seed, epoch), so a checkpoint needs only the model, the
optimizer state, the step counter and the RNG state to continue to the same result.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from nanochat import dist as ddist
from nanochat.batch_size import ProbeCache, SavedTensorGauge, probe_rows, probe_rows_cached, state_bytes
from nanochat.common import get_base_dir
from nanochat.optim import SFT_INIT_LR_FRAC, Optimizers, linear_decay, setup_optimizers
from nanochat.packing import (
    IGNORE,
    Sample,
    apply_length_policy,
    collate,
    epoch_rows,
    pack_rows,
    packing_efficiency,
    trained_targets,
)
from nanochat.train_config import TrainConfig

CPU_MICRO_BATCH = 2  # rows per micro-batch on CPU: probing there is slower than it is worth
MAX_PROBE_ROWS = 256
# Fewer optimizer steps than this per epoch learn little (a team found 34 steps per epoch too few to learn
# the dialect); the run goes on, with a warning saying how to get more.
MIN_STEPS_PER_EPOCH = 20


# ---------------------------------------------------------------------------------------------------
# the optimizer step


class Runner:
    """A model, its optimizers and how to run them on packed rows on one device (or one DDP rank)."""

    def __init__(self, model: torch.nn.Module, opts: Optimizers, device: torch.device, seq_len: int,
                 info: ddist.DistInfo | None = None, dtype: torch.dtype | None = None):
        info = info or ddist.DistInfo()
        self.raw = model
        self.model = DDP(model, device_ids=[device.index] if device.type == "cuda" else None) if info.is_ddp else model
        self.opts = opts
        self.device = device
        self.seq_len = seq_len
        self.info = info
        self.dtype = dtype
        self.micro_rows = 1
        self.time_optimizer = False
        self.last_optimizer_s = 0.0

    def autocast(self):
        if self.dtype is None or self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _to_device(self, rows: list[list[Sample]]):
        x, y, ids = collate(rows, self.seq_len, min_rows=self.micro_rows)
        nb = self.device.type == "cuda"
        return (x.to(self.device, non_blocking=nb), y.to(self.device, non_blocking=nb),
                ids.to(self.device, non_blocking=nb))

    def token_loss(self, x, y, ids) -> torch.Tensor:
        """Summed loss over the trained targets of a micro-batch (0 when there is none)."""
        with self.autocast():
            loss = self.model(x, y, loss_reduction="none", seq_ids=ids)
        return loss.float().sum()

    def micro_batches(self, step_rows: list[list[Sample]]) -> list[list[list[Sample]]]:
        """This rank's share of a step's rows, cut into micro-batches. Every rank gets the same number
        of micro-batches (DDP needs matching backward calls): a rank short of rows runs empty ones."""
        world = self.info.world_size
        mine = step_rows[self.info.rank :: world]
        per_rank = math.ceil(len(step_rows) / world)
        n_micro = max(1, math.ceil(per_rank / self.micro_rows))
        return [mine[i * self.micro_rows : (i + 1) * self.micro_rows] for i in range(n_micro)]

    def step(self, step_rows: list[list[Sample]], lrm: float) -> tuple[float, int]:
        """One optimizer step over a global step's rows. Returns (mean loss over the step, targets)."""
        count = trained_targets(step_rows)  # global: every rank holds the whole plan
        scale = self.info.world_size / max(count, 1)  # DDP averages over ranks; undo that, divide by count
        micro = self.micro_batches(step_rows)
        total = torch.zeros((), device=self.device)
        for i, rows in enumerate(micro):
            x, y, ids = self._to_device(rows)
            sync = i == len(micro) - 1
            ctx = self.model.no_sync() if self.info.is_ddp and not sync else contextlib.nullcontext()
            with ctx:
                loss_sum = self.token_loss(x, y, ids)
                (loss_sum * scale).backward()
            total += loss_sum.detach()
        self.opts.set_lr_multiplier(lrm)
        if self.time_optimizer:  # benchmark only: the sync costs a little
            torch.cuda.synchronize() if self.device.type == "cuda" else None
            t0 = time.perf_counter()
        self.opts.step()
        self.opts.zero_grad()
        if self.time_optimizer:
            torch.cuda.synchronize() if self.device.type == "cuda" else None
            self.last_optimizer_s = time.perf_counter() - t0
        loss_total = ddist.all_sum(self.info, [total.item()], self.device)[0]
        return loss_total / max(count, 1), count

    @torch.no_grad()
    def evaluate(self, rows: list[list[Sample]], token_bytes: torch.Tensor | None) -> dict:
        """Mean loss over assistant tokens and bits per byte (nanochat's bpb: tokens of zero bytes,
        the special tokens, count in neither sum)."""
        self.raw.eval()
        loss_sum = nats = nbytes = 0.0
        count = 0
        for rows_mb in self.micro_batches(rows):
            x, y, ids = self._to_device(rows_mb)
            with self.autocast():
                loss = self.raw(x, y, loss_reduction="none", seq_ids=ids).float().view(y.shape)
            trained = y != IGNORE
            loss_sum += loss[trained].sum().item()
            count += int(trained.sum().item())
            if token_bytes is not None:
                b = token_bytes[y.clamp(min=0)] * trained
                nats += loss[b > 0].sum().item()
                nbytes += b.sum().item()
        self.raw.train()
        loss_sum, count, nats, nbytes = ddist.all_sum(self.info, [loss_sum, count, nats, nbytes], self.device)
        return {
            "val_loss": loss_sum / max(count, 1),
            "val_bpb": nats / (math.log(2) * nbytes) if nbytes else None,
            "val_tokens": int(count),
        }


# ---------------------------------------------------------------------------------------------------
# micro-batch sizing


def probe_micro_batch(runner: Runner, budget_bytes: int | None = None, max_rows: int = MAX_PROBE_ROWS,
                      cache: ProbeCache | None = None):
    """Largest number of full rows one forward+backward takes, with the optimizer state allocated.

    On CUDA the trial measures the allocator's peak, the budget defaults to the card's memory, and real
    out-of-memory errors count as "does not fit". Elsewhere the peak is parameters + gradients +
    optimizer state + the activations autograd keeps, measured from the tensors themselves. With a
    ``cache``, a size found before for the same model shape, sequence length, card, torch version and
    settings is checked with one trial instead of searched for."""
    runner.opts.init_state()
    cuda = runner.device.type == "cuda"
    if cuda and budget_bytes is None:
        budget_bytes = torch.cuda.mem_get_info(runner.device)[1]
    vocab = runner.raw.config.vocab_size
    gen = torch.Generator().manual_seed(0)

    def trial(rows: int) -> int:
        # Gradients exist from the second micro-batch of a step on (accumulation), while every activation
        # of the forward is still alive: allocate them first, or the probe misses their whole size.
        for p in runner.raw.parameters():
            p.grad = torch.zeros_like(p)
        # full rows of ~400-token conversations: the shape training runs (the block mask is per row)
        x = torch.randint(0, vocab, (rows, runner.seq_len), generator=gen).to(runner.device)
        ids = (torch.arange(runner.seq_len, dtype=torch.int32) // 400).expand(rows, -1).contiguous().to(runner.device)
        try:
            if cuda:
                torch.cuda.synchronize(runner.device)
                torch.cuda.reset_peak_memory_stats(runner.device)
                loss = runner.token_loss(x, x, ids)
                loss.backward()
                torch.cuda.synchronize(runner.device)
                return torch.cuda.max_memory_allocated(runner.device)
            with SavedTensorGauge() as gauge:
                loss = runner.token_loss(x, x, ids)
            loss.backward()
            return state_bytes(runner.raw, [o.state for o in runner.opts.all]) + gauge.bytes
        finally:
            for p in runner.raw.parameters():
                p.grad = None

    def free():
        if cuda:
            torch.cuda.empty_cache()

    # on CUDA each new size costs a compile, whatever its size: try the cap first
    if cache is None:
        result = probe_rows(trial, max_rows=max_rows, budget_bytes=budget_bytes, on_fail=free, cap_first=cuda)
    else:
        result = probe_rows_cached(trial, max_rows, cache, probe_key(runner, budget_bytes),
                                   budget_bytes=budget_bytes, on_fail=free, cap_first=cuda)
    free()
    return result


def probe_key(runner: Runner, budget_bytes: int | None) -> str:
    """What the probe's answer depends on: model shape, rows, card, torch, dtype, compile, recompute."""
    blocks = list(runner.raw.transformer.h)
    card = torch.cuda.get_device_name(runner.device) if runner.device.type == "cuda" else runner.device.type
    return ProbeCache.key(model=asdict(runner.raw.config), seq_len=runner.seq_len, card=card, torch=torch.__version__,
                          dtype=str(runner.dtype), budget=budget_bytes,
                          compiled=getattr(blocks[0], "_compiled_call_impl", None) is not None,
                          recompute=isinstance(blocks[0].forward, functools.partial))


def probe_cache_path() -> Path:
    return get_base_dir() / "microbatch_probe.json"


def enable_activation_checkpointing(model: torch.nn.Module) -> None:
    """Recompute each block's activations in backward instead of keeping them (less memory, ~1/3 more
    compute). Only the forward attribute of each block changes; parameter names stay the same."""
    from torch.utils.checkpoint import checkpoint

    for block in model.transformer.h:
        block.forward = functools.partial(checkpoint, block.forward, use_reentrant=False)


def compile_blocks(model: torch.nn.Module) -> None:
    """Compile the transformer block (all layers share one compiled graph, so compile time does not
    grow with depth); embedding, rotary tables and the chunked loss stay eager."""
    import torch._dynamo

    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)
    for block in model.transformer.h:
        block.compile(dynamic=False)


def uncompile_blocks(model: torch.nn.Module) -> None:
    """Back to eager blocks (the benchmark's pad-to-longest loop runs nanochat v1's uncompiled way)."""
    for block in model.transformer.h:
        block._compiled_call_impl = None


# ---------------------------------------------------------------------------------------------------
# plan and bookkeeping


def data_hash(convs: list) -> str:
    h = hashlib.sha256()
    for conv in convs:
        h.update(json.dumps(conv, ensure_ascii=False, sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def render_all(tokenizer, convs: list) -> list[Sample]:
    """Tokenize every conversation in full (no cut here: the length policy decides, and counts)."""
    out = []
    for i, conv in enumerate(convs):
        ids, mask = tokenizer.render_conversation({"messages": conv} if isinstance(conv, list) else conv,
                                                  max_tokens=10**9)
        out.append(Sample(tuple(ids), tuple(mask), i))
    return out


@dataclass
class Plan:
    """Every optimizer step of the run: (epoch, rows of the step). Deterministic from the seed."""

    steps: list[tuple[int, list[list[Sample]]]]
    rows_per_step: int
    efficiency: float

    @property
    def total(self) -> int:
        return len(self.steps)


def make_plan(samples: list[Sample], seq_len: int, epochs: int, seed: int, rows_per_step: int) -> Plan:
    steps = []
    eff = []
    for epoch in range(epochs):
        rows = epoch_rows(samples, seq_len, seed, epoch)
        eff.append(packing_efficiency(rows, seq_len))
        for at in range(0, len(rows), rows_per_step):
            steps.append((epoch, rows[at : at + rows_per_step]))
    return Plan(steps, rows_per_step, sum(eff) / max(len(eff), 1))


def rows_per_step(target_batch_tokens: int, seq_len: int, micro_rows: int, world: int) -> int:
    """Rows per optimizer step: the target in tokens rounded up to whole micro-batches on every rank."""
    return whole_micro_batches(math.ceil(target_batch_tokens / seq_len), micro_rows, world)


def whole_micro_batches(rows: int, micro_rows: int, world: int) -> int:
    """``rows`` rounded up to whole micro-batches on every rank."""
    per_pass = micro_rows * world
    return max(1, math.ceil(rows / per_pass)) * per_pass


def target_step_rows(conversations_per_step: int, target_batch_tokens: int | None, seq_len: int,
                     rows_per_epoch: int, conversations: int) -> int:
    """Packed rows one optimizer step should hold, before rounding to whole micro-batches.

    nanochat v1's SFT counts its step in conversations (32), not tokens; packing puts several short
    conversations in one row, so the step takes as many rows as hold ``conversations_per_step`` of them
    on average. ``target_batch_tokens``, when given, asks for a step of that many row positions instead."""
    if target_batch_tokens:
        return max(1, math.ceil(target_batch_tokens / seq_len))
    return max(1, round(conversations_per_step * rows_per_epoch / max(conversations, 1)))


class MetricsLog:
    def __init__(self, path: Path, enabled: bool):
        self.path, self.enabled = path, enabled
        self.records: list[dict] = []
        if enabled and path.exists():
            self.records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def add(self, record: dict) -> None:
        self.records.append(record)
        if self.enabled:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")

    def truncate_after(self, step: int) -> None:
        """On resume, forget records past the checkpoint (they will be written again, identically)."""
        self.records = [r for r in self.records if r["step"] <= step]
        if self.enabled:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in self.records))
            os.replace(tmp, self.path)

    def plot(self, path: Path) -> None:
        if not self.enabled:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        train = [r for r in self.records if r["kind"] == "train"]
        val = [r for r in self.records if r["kind"] == "val"]
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss (assistant tokens)")
        if val:
            ax.plot([r["step"] for r in val], [r["val_loss"] for r in val], "o-", label="val loss (end of epoch)")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("loss (nats/token)")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        tmp = path.with_name(f".{path.name}.tmp.png")
        fig.savefig(tmp, dpi=100)
        plt.close(fig)
        os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------
# the run


def pick_device(name: str) -> str:
    if name != "auto":
        return name
    return "cuda" if torch.cuda.is_available() else "cpu"


def train(cfg: TrainConfig, model: torch.nn.Module, tokenizer, train_convs: list, val_convs: list,
          token_bytes: torch.Tensor | None = None, base_meta: dict | None = None) -> dict:
    """Fine-tune ``model`` (already loaded, on CPU or its device) and write checkpoints to cfg.out_dir.

    Returns a summary (final step, val metrics, checkpoint directory). Raises ValueError for a refused
    setup (e.g. an existing directory of another run without --resume)."""
    from nanochat.checkpoint import list_steps, model_path, save_checkpoint

    log = cfg.log
    device_type = pick_device(cfg.device)
    info, device = ddist.init(device_type)
    say = log if info.is_main else (lambda *a, **k: None)
    seq_len = cfg.max_seq_len or model.config.sequence_len
    dtype = {"auto": torch.bfloat16 if device_type == "cuda" else torch.float32,
             "bfloat16": torch.bfloat16, "float32": torch.float32}[cfg.dtype]
    torch.manual_seed(cfg.seed)

    # 1. data: render, apply the length policy, report before anything trains
    train_samples, report = apply_length_policy(render_all(tokenizer, train_convs), seq_len, cfg.over_length)
    val_samples, val_report = apply_length_policy(render_all(tokenizer, val_convs), seq_len, cfg.over_length)
    for line in report.lines():
        say(line)
    say(f"validation: {val_report.kept} of {val_report.total} conversations kept")
    if not train_samples:
        raise ValueError("no training conversation is left after the length policy")

    # 2. resume or start fresh; never write over another run's directory
    out = Path(cfg.out_dir)
    existing = list_steps(out)
    start_step, run_id, resume_state = 0, uuid.uuid4().hex[:12], None
    if existing and not cfg.resume:
        raise ValueError(f"{out} already holds checkpoints of another run ({model_path(out, existing[-1]).name}); "
                         "pass --resume to continue it or --tag NAME for a new run")
    if cfg.resume:
        resume_state = load_resume_state(out, device)
        if resume_state is None:
            raise ValueError(f"--resume: no resumable checkpoint (model + optimizer state) in {out}")
        start_step, run_id = resume_state["meta"]["step"], resume_state["meta"]["run_id"]
        model.load_state_dict(resume_state["model"])
        say(f"resuming run {run_id} from step {start_step} ({resume_state['path']})")

    # 3. model on device, optimizers, compile, micro-batch size
    model.to(device)
    model.train()
    opts = setup_optimizers(model, model.config.n_embd, init_lr_frac=cfg.init_lr_frac or SFT_INIT_LR_FRAC)
    if resume_state is not None:
        opts.load_state_dict(resume_state["optim"])
    use_compile = cfg.compile == "on" or (cfg.compile == "auto" and device_type == "cuda")
    if cfg.activation_checkpointing == "on":
        enable_activation_checkpointing(model)
    if use_compile:
        compile_blocks(model)
    runner = Runner(model, opts, device, seq_len, info, dtype)
    if token_bytes is not None:
        token_bytes = token_bytes.to(device)
    # no micro-batch larger than a rank's share of an epoch (the extra rows would be empty padding), nor
    # than its share of the target step: the step, hence the training trajectory, must not depend on
    # how much memory the card has
    rows_per_epoch = len(pack_rows(train_samples, seq_len))
    rows_per_rank = math.ceil(rows_per_epoch / info.world_size)
    target_rows = target_step_rows(cfg.conversations_per_step, cfg.target_batch_tokens, seq_len, rows_per_epoch,
                                 len(train_samples))
    target_rows_per_rank = math.ceil(target_rows / info.world_size)
    max_rows = max(1, min(MAX_PROBE_ROWS, rows_per_rank, target_rows_per_rank))
    micro_rows = choose_micro_batch(cfg, runner, device_type, say, max_rows=max_rows)
    runner.micro_rows = micro_rows

    rps = whole_micro_batches(target_rows, micro_rows, info.world_size)
    if resume_state is not None:
        # the same rows per step as the interrupted run (its micro-batch or GPU count may differ now: the
        # gradient does not depend on them), on the same data
        rps = resume_state["meta"]["rows_per_step"]
        if resume_state["meta"]["data_hash"] != data_hash(train_convs):
            raise ValueError(f"--resume: the training data differ from the interrupted run's "
                             f"(data hash {data_hash(train_convs)} != {resume_state['meta']['data_hash']})")
    plan = make_plan(train_samples, seq_len, cfg.epochs, cfg.seed, rps)
    val_rows = pack_rows(val_samples, seq_len)
    say(f"packing: {len(train_samples)} conversations -> {sum(len(r) for _, r in plan.steps) // cfg.epochs} rows "
        f"of {seq_len} per epoch, efficiency {plan.efficiency:.1%} (share of positions holding real tokens)")
    steps_per_epoch = sum(1 for epoch, _ in plan.steps if epoch == 0)
    target = (f"target {cfg.target_batch_tokens} tokens" if cfg.target_batch_tokens
              else f"target {cfg.conversations_per_step} conversations")
    say(f"batch: {micro_rows} rows x {seq_len} per micro-batch x {info.world_size} rank(s), "
        f"{rps} rows per optimizer step ({target}, ~{len(train_samples) / steps_per_epoch:.0f} conversations), "
        f"{steps_per_epoch} optimizer steps per epoch, {plan.total} steps over {cfg.epochs} epochs")
    if steps_per_epoch < MIN_STEPS_PER_EPOCH:
        say(f"warning: only {steps_per_epoch} optimizer steps per epoch (fewer than {MIN_STEPS_PER_EPOCH}): "
            "too few updates to learn much; lower --conversations-per-step (or --target-batch-tokens), "
            "or add data")

    metrics = MetricsLog(out / "metrics.jsonl", info.is_main)
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        metrics.truncate_after(start_step)
    if resume_state is not None:
        torch.set_rng_state(resume_state["rng"])
    dhash = data_hash(train_convs)
    meta_common = {
        "model_config": asdict(model.config) if hasattr(model.config, "__dataclass_fields__") else dict(vars(model.config)),
        "run_id": run_id,
        "data_hash": dhash,
        "max_seq_len": seq_len,
        "device_batch_size": micro_rows,
        "rows_per_step": rps,
        "total_steps": plan.total,
        "user_config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items() if k != "log"},
        "parent": cfg.lineage,
        "length_report": {"policy": report.policy, "total": report.total, "kept": report.kept,
                          "dropped": len(report.dropped), "truncated": len(report.truncated),
                          "no_trained_token": len(report.no_target), "tokens_cut": report.tokens_cut},
    }

    def save(step: int, epoch: int, extra: dict, with_optimizer: bool) -> None:
        if info.is_main:
            meta = dict(meta_common, step=step, epoch=epoch, **extra)
            optim_state = {"optimizers": opts.state_dict(), "rng": torch.get_rng_state()} if with_optimizer else None
            save_checkpoint(out, step, model.state_dict(), meta, optimizer_state=optim_state)
            prune_optimizer_files(out, keep_step=step if with_optimizer else None)
        ddist.barrier(info)

    # 4. the loop
    last_val: dict = {}
    t_start = time.time()
    tokens_seen = 0
    step = start_step
    for step in range(start_step, plan.total):
        epoch, step_rows = plan.steps[step]
        t0 = time.time()
        loss, count = runner.step(step_rows, linear_decay(step, plan.total))
        dt = time.time() - t0
        real = sum(s.positions for row in step_rows for s in row)
        tokens_seen += real
        if not math.isfinite(loss):
            raise FloatingPointError(f"step {step + 1}: loss is {loss}; stopping before a checkpoint is written")
        metrics.add({"kind": "train", "step": step + 1, "epoch": epoch + 1, "loss": loss, "trained_tokens": count,
                     "lr_mult": linear_decay(step, plan.total), "tokens_per_s": real / dt, "dt_s": dt})
        say(f"step {step + 1:5d}/{plan.total} | epoch {epoch + 1} | loss {loss:.4f} | {real / dt:,.0f} tok/s")
        end_of_epoch = step + 1 == plan.total or plan.steps[step + 1][0] != epoch
        if end_of_epoch:
            last_val = runner.evaluate(val_rows, token_bytes) if val_rows else {}
            if last_val:
                metrics.add({"kind": "val", "step": step + 1, "epoch": epoch + 1, **last_val})
                bpb = f"{last_val['val_bpb']:.4f}" if last_val["val_bpb"] is not None else "n/a"
                say(f"epoch {epoch + 1} validation | loss {last_val['val_loss']:.4f} | bpb {bpb}")
            save(step + 1, epoch + 1, last_val, with_optimizer=step + 1 < plan.total)
            metrics.plot(out / "loss.png")
        elif cfg.save_every and (step + 1) % cfg.save_every == 0:
            save(step + 1, epoch + 1, {}, with_optimizer=True)
        if cfg.stop_after_steps is not None and step + 1 - start_step >= cfg.stop_after_steps and step + 1 < plan.total:
            if not (cfg.save_every and (step + 1) % cfg.save_every == 0) and not end_of_epoch:
                save(step + 1, epoch + 1, {}, with_optimizer=True)
            say(f"stopped after step {step + 1} as asked; continue with --resume")
            ddist.cleanup(info)
            return {"step": step + 1, "total_steps": plan.total, "stopped": True, "out_dir": str(out), "run_id": run_id}
    elapsed = time.time() - t_start
    ddist.cleanup(info)
    return {"step": plan.total, "total_steps": plan.total, "stopped": False, "out_dir": str(out), "run_id": run_id,
            "micro_batch": micro_rows, "packing_efficiency": plan.efficiency, "elapsed_s": elapsed,
            "tokens": tokens_seen, **last_val}


def choose_micro_batch(cfg: TrainConfig, runner: Runner, device_type: str, say, max_rows: int = MAX_PROBE_ROWS) -> int:
    if cfg.device_batch != "auto":
        rows = int(cfg.device_batch)
        assert rows >= 1, "--device-batch must be at least 1"
        say(f"micro-batch: {rows} rows (--device-batch)")
        return rows
    if device_type != "cuda" and cfg.memory_budget_bytes is None:
        rows = min(CPU_MICRO_BATCH, max_rows)
        say(f"micro-batch: {rows} rows (fixed on {device_type})")
        return rows
    cache = ProbeCache(probe_cache_path()) if device_type == "cuda" else None
    try:
        result = probe_micro_batch(runner, cfg.memory_budget_bytes, max_rows, cache)
    except RuntimeError:
        if cfg.activation_checkpointing != "auto":
            raise
        say("micro-batch: one row does not fit; turning on activation checkpointing")
        enable_activation_checkpointing(runner.raw)
        result = probe_micro_batch(runner, cfg.memory_budget_bytes, max_rows, cache)
    say(result.line())
    return ddist.min_over_ranks(runner.info, result.rows, runner.device)


def prune_optimizer_files(out: Path, keep_step: int | None) -> None:
    """Optimizer state is as large as the model twice over: keep only the newest one needed to resume."""
    from nanochat.checkpoint import optimizer_files

    for path, step in optimizer_files(out).items():
        if keep_step is None or step != keep_step:
            path.unlink()


def load_resume_state(out: Path, device: torch.device) -> dict | None:
    """The newest checkpoint in ``out`` that has optimizer state, with its meta."""
    from nanochat.checkpoint import load_checkpoint, model_path, optimizer_steps

    steps = optimizer_steps(out)
    if not steps:
        return None
    model, optim, meta = load_checkpoint(out, steps[-1], device, load_optimizer=True)
    return {"path": str(model_path(out, steps[-1])), "model": model, "meta": meta,
            "optim": optim["optimizers"], "rng": optim["rng"].cpu()}
