"""SFT throughput at nanochat's step size: our packed loop, the optimizer's share of each step, start-up.

For each model (d34, d20 by nanochat's depth rule: n_embd = 64 * depth, head_dim 128, vocab 65536,
sequence 2048; random weights) and synthetic SQL-chat lengths (lognormal, median 400 tokens, capped at
2049), in one process, our loop (nanochat.sft.Runner: conversations packed best-fit into 2048-position
rows, block-causal FlexAttention, compiled blocks, bf16 autocast, Muon + fused AdamW) at three steps:
- recipe:  32 conversations per optimizer step (nanochat chat_sft's step; the target in tokens is 32 x
           the mean conversation), the micro-batch capped to the step as ``sqlcurate train`` caps it;
           the headline. For the first model it is also the start-up measurement: process start to the
           end of the first optimizer step (imports, model, compile, probe, step), with a cold probe;
- one_mb:  one full probed micro-batch per optimizer step (the probe uncapped; MFU target);
- large:   262,144 tokens per step (many micro-batches; the probe's answer now comes from its cache).
Then the optimizer step alone on the model's real shapes: the first implementation (ReferenceMuon)
against the batched one, agreement with a float32 Newton-Schulz, the matmul floor, fused AdamW, a check
that the step does not synchronise with the host, and whether compiling the momentum pass would pay.
Optionally (--pad-batches 4,8) nanochat v1 chat_sft's own pad-to-longest eager loop as a baseline.

Each variant runs one untimed warm-up step and then timed optimizer steps (median step time reported).
Real tokens/s counts conversation tokens, never padding. MFU: nanochat's estimate_flops per position,
over every position computed, against 989 TFLOP/s (bf16 dense; H100 and H200 alike).

    PYTHONPATH=src python3 benchmarks/train_throughput.py            # on the GPU
    PYTHONPATH=src python3 benchmarks/train_throughput.py --smoke    # tiny sizes, CPU, seconds

Writes JSON to $OUT/train_throughput.json (if $OUT is set) and benchmarks/results/train_throughput.json.
"""

from __future__ import annotations

import time

PROCESS_START = time.time()  # before torch is imported: start-up counts the imports, as a CLI run does

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

for k, v in {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1",
             "PYTORCH_ALLOC_CONF": "expandable_segments:True"}.items():
    os.environ.setdefault(k, v)

import torch  # noqa: E402

from nanochat.batch_size import ProbeCache  # noqa: E402
from nanochat.gpt import GPT, GPTConfig  # noqa: E402
from nanochat.optim import (  # noqa: E402
    NS_STEPS,
    Muon,
    ReferenceMuon,
    nesterov_momentum,
    orthogonalize,
    orthogonalize_reference,
    setup_optimizers,
)
from nanochat.packing import IGNORE, Sample, collate, epoch_rows, packing_efficiency  # noqa: E402
from nanochat.sft import (  # noqa: E402
    MAX_PROBE_ROWS,
    Runner,
    compile_blocks,
    probe_micro_batch,
    rows_per_step,
    uncompile_blocks,
)

PEAK_BF16 = 989e12
NANOCHAT_H200 = {  # nanochat v1 chat_sft on one H200, 32 conversations per step, from issue 15
    "d20": {"best_real_tok_s": 22.8e3, "note": "batch 16"},
    "d34": {"best_real_tok_s": 8.5e3, "note": "batch 8; batch 16 OOM"},
}
RECIPE_CONVERSATIONS = 32


def model_config(depth: int, seq_len: int, vocab: int) -> GPTConfig:
    n_embd = depth * 64
    n_head = max(1, n_embd // 128)
    return GPTConfig(sequence_len=seq_len, vocab_size=vocab, n_layer=depth, n_head=n_head, n_kv_head=n_head, n_embd=n_embd)


def synthetic_samples(n: int, seq_len: int, vocab: int, median: int, seed: int = 0) -> list[Sample]:
    """SQL-chat-like lengths: lognormal around ``median`` tokens, capped to fit one row; the first ~35%
    of each conversation is the user's (not trained), the rest the assistant's."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        length = min(seq_len + 1, max(8, int(rng.lognormvariate(math.log(median), 0.6))))
        ids = tuple(rng.randrange(vocab) for _ in range(length))
        cut = int(length * 0.35)
        out.append(Sample(ids, (0,) * cut + (1,) * (length - cut), i))
    return out


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def build(cfg: GPTConfig, device: torch.device) -> GPT:
    with torch.device("meta"):
        model = GPT(cfg)
    model.to_empty(device=device)
    model.init_weights()
    return model


def pad_loop(model: GPT, samples: list[Sample], device, batch: int, accum: int, steps: int, dtype) -> dict:
    """nanochat v1 chat_sft: each micro-batch is ``batch`` conversations padded to the longest one; the
    loss is the mean over the micro-batch's trained tokens, divided by the accumulation steps."""
    opts = setup_optimizers(model, model.config.n_embd)
    order = list(samples)
    random.Random(1).shuffle(order)
    per_step = batch * accum
    real = positions = 0
    times = []
    ac = torch.autocast(device.type, dtype=dtype) if dtype != torch.float32 else torch.autocast(device.type, enabled=False)
    for step in range(steps + 1):  # step 0 warms up
        chunk = order[(step * per_step) % len(order):][:per_step]
        if len(chunk) < per_step:
            chunk = chunk + order[: per_step - len(chunk)]
        sync()
        t0 = time.time()
        step_real = step_pos = 0
        for m in range(accum):
            convs = chunk[m * batch:(m + 1) * batch]
            L = max(s.positions for s in convs)
            x = torch.zeros(len(convs), L, dtype=torch.long)
            y = torch.full((len(convs), L), IGNORE, dtype=torch.long)
            for b, s in enumerate(convs):
                n = s.positions
                ids = torch.tensor(s.ids)
                x[b, :n] = ids[:-1]
                y[b, :n] = torch.where(torch.tensor(s.mask[1:], dtype=torch.bool), ids[1:], IGNORE)
                step_real += n
            step_pos += len(convs) * L
            x, y = x.to(device), y.to(device)
            with ac:
                loss = model(x, y)
            (loss / accum).backward()
        opts.step()
        opts.zero_grad()
        sync()
        if step > 0:
            times.append(time.time() - t0)
            real += step_real
            positions += step_pos
    del opts
    return {"seconds": sum(times), "real_tokens": real, "positions": positions, "steps": steps}


class TimedOptimizers:
    """The trainer's optimizers with each ``step`` bracketed by CUDA events, so timing it adds no
    synchronisation to the loop (the events are read after the step's loss has been fetched)."""

    def __init__(self, opts, device):
        self.opts, self.cuda, self.spans = opts, device.type == "cuda", []

    def __getattr__(self, name):
        return getattr(self.opts, name)

    def step(self) -> None:
        if not self.cuda:
            t0 = time.perf_counter()
            self.opts.step()
            self.spans.append(time.perf_counter() - t0)
            return
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        self.opts.step()
        end.record()
        self.spans.append((start, end))

    def seconds(self) -> list[float]:
        sync()
        return [s if isinstance(s, float) else s[0].elapsed_time(s[1]) / 1e3 for s in self.spans]


def packed_loop(model: GPT, samples: list[Sample], device, steps: int, dtype, step_tokens: int | None,
                max_rows: int, budget: int | None, cache: ProbeCache | None) -> dict:
    """Our loop as ``sqlcurate train`` runs it: probe (micro-batch capped to ``max_rows``), then optimizer
    steps of ``step_tokens`` target tokens (None: one micro-batch per step). Step 0 is the warm-up."""
    seq_len = model.config.sequence_len
    opts = TimedOptimizers(setup_optimizers(model, model.config.n_embd), device)
    runner = Runner(model, opts, device, seq_len, dtype=dtype)
    t0 = time.time()
    probe = probe_micro_batch(runner, budget, max_rows, cache)
    runner.micro_rows = probe.rows
    probe_s = time.time() - t0
    print(probe.line(), flush=True)
    rps = rows_per_step(step_tokens, seq_len, runner.micro_rows, 1) if step_tokens else runner.micro_rows
    rows = epoch_rows(samples, seq_len, seed=0, epoch=0)
    while len(rows) < (steps + 1) * rps:
        rows += epoch_rows(samples, seq_len, seed=0, epoch=len(rows))
    times, real, positions, step_real = [], 0, 0, []
    first_step_done = None
    for step in range(steps + 1):
        step_rows = rows[step * rps:(step + 1) * rps]
        sync()
        t0 = time.time()
        runner.step(step_rows, 1.0 - step / (steps + 1))
        sync()
        if step == 0:
            first_step_done = time.time()
        else:
            times.append(time.time() - t0)
            step_real.append(sum(s.positions for r in step_rows for s in r))
            real += step_real[-1]
            positions += len(runner.micro_batches(step_rows)) * runner.micro_rows * seq_len
    opt_s = opts.seconds()[1:]
    t0 = time.perf_counter()
    collate(rows[:runner.micro_rows], seq_len, min_rows=runner.micro_rows)
    collate_s = time.perf_counter() - t0
    return {"seconds": sum(times), "real_tokens": real, "positions": positions, "steps": steps,
            "micro_rows": runner.micro_rows, "rows_per_step": rps, "probe_s": probe_s, "probe_cached": probe.cached,
            "step_s": sorted(times)[len(times) // 2], "optimizer_s": sorted(opt_s)[len(opt_s) // 2],
            "real_tokens_per_step": real / steps, "collate_s": collate_s, "first_step_done": first_step_done,
            "probe_trials": probe.trials,
            "packing_efficiency": packing_efficiency(rows[: (steps + 1) * rps], seq_len)}


def median_time(fn, reps: int) -> tuple[float, float]:
    """(median device seconds, median host seconds to issue) of ``fn`` over ``reps`` calls."""
    dev, host = [], []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        t0 = time.perf_counter()
        fn()
        host.append(time.perf_counter() - t0)
        end.record()
        end.synchronize()
        dev.append(start.elapsed_time(end) / 1e3)
    return sorted(dev)[reps // 2], sorted(host)[reps // 2]


def optimizer_bench(cfg: GPTConfig, device, try_compile: bool, reps: int = 7) -> dict:
    """The optimizer step alone on the model's real parameter shapes with random gradients: the first
    implementation (ReferenceMuon) against the batched one, their agreement, the Newton-Schulz floor."""
    torch.manual_seed(0)
    model = build(cfg, device)
    opts = setup_optimizers(model, cfg.n_embd)
    matrices = [p for g in opts.muon.param_groups for p in g["params"]]
    lr = opts.muon.param_groups[0]["lr"]
    ref = ReferenceMuon(matrices, lr=lr)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    out: dict = {"matrix_params": sum(p.numel() for p in matrices)}
    a = torch.randn(16, 2048, 2048, device=device, dtype=torch.bfloat16)
    bmm_s, _ = median_time(lambda: a @ a, 5)
    out["bf16_bmm_tflops"] = 16 * 2 * 2048**3 / bmm_s / 1e12
    ns_flops = 0
    for g in opts.muon.param_groups:
        r, c = g["params"][0].shape
        m, n = min(r, c), max(r, c)
        ns_flops += len(g["params"]) * NS_STEPS * (4 * m * m * n + 2 * m**3)
    out["ns_floor_s"] = ns_flops / (out["bf16_bmm_tflops"] * 1e12)
    # agreement: one step's update from zero momentum, new and first implementation, and fp32 iteration
    errs = {}
    torch.set_float32_matmul_precision("highest")  # the fp32 reference in true fp32, not tf32
    for g in opts.muon.param_groups:
        grad = torch.stack([p.grad for p in g["params"]])
        direction = grad.lerp(grad * 0.05, 0.95)  # Nesterov's direction after one step from zero momentum
        exact = orthogonalize(direction, dtype=torch.float32)
        fast, first = orthogonalize(direction).float(), orthogonalize_reference(direction).float()
        key = "x".join(map(str, g["params"][0].shape))
        errs[key] = {"batched_vs_fp32": ((fast - exact).norm() / exact.norm()).item(),
                     "first_vs_fp32": ((first - exact).norm() / exact.norm()).item(),
                     "batched_vs_first": ((fast - first).norm() / first.norm()).item()}
        del exact, fast, first, direction, grad
    out["orthogonalize_rel_err"] = errs
    for name, muon in [("first", ref), ("batched", opts.muon)]:
        muon.step()  # warm-up (allocates the stacked state)
        out[f"muon_{name}_s"], out[f"muon_{name}_host_s"] = median_time(muon.step, reps)
    out["adamw_fused_s"], out["adamw_host_s"] = median_time(opts.adamw.step, reps)
    square = opts.muon.param_groups[0]["params"]  # the most numerous shape: attention's n_embd x n_embd
    ns_in = torch.randn(len(square), *square[0].shape, device=device)
    out["orthogonalize_square_s"], _ = median_time(lambda: orthogonalize(ns_in), 3)
    # no host synchronisation inside the step: CUDA's sync debug mode turns any into an error
    torch.cuda.set_sync_debug_mode("error")
    try:
        opts.step()
        out["step_host_sync"] = "none"
    except RuntimeError as exc:
        out["step_host_sync"] = str(exc)[:200]
    finally:
        torch.cuda.set_sync_debug_mode("default")
    if try_compile:
        out.update(compiled_momentum_bench(opts, device))
    # whole-step agreement: one step of each from the same weights and zero momentum
    snapshot = [p.detach().clone() for p in matrices]
    deltas = []
    for cls in (ReferenceMuon, Muon):
        for p, s0 in zip(matrices, snapshot, strict=True):
            p.data.copy_(s0)
        cls(matrices, lr=lr).step()
        deltas.append(torch.cat([(p.detach() - s0).flatten() for p, s0 in zip(matrices, snapshot, strict=True)]))
    out["step_update_rel_err_vs_first"] = ((deltas[1] - deltas[0]).norm() / deltas[0].norm()).item()
    return out


def compiled_momentum_bench(opts, device) -> dict:
    """Would compiling the momentum pass pay? Eager it is 4 passes over the stacked square matrices
    (stack, two lerps, the bf16 cast), fused 1; set against the compile time it adds to start-up."""
    out = {}
    g0 = opts.muon.param_groups[0]["params"]
    grads = torch.stack([p.grad for p in g0])
    bufs = torch.zeros_like(grads)

    def momentum_pass(gr, bu):
        return nesterov_momentum(gr.clone(), bu, 0.95, True).bfloat16()

    out["momentum_square_eager_s"], _ = median_time(lambda: momentum_pass(grads, bufs), 5)
    t0 = time.time()
    compiled = torch.compile(momentum_pass)
    compiled(grads, bufs)
    sync()
    out["momentum_compile_s"] = time.time() - t0
    out["momentum_square_compiled_s"], _ = median_time(lambda: compiled(grads, bufs), 5)
    return out


def check_attention(device) -> dict:
    """Fast path (FlexAttention with the block mask from document_mask) against the reference (SDPA with
    a dense mask, float32) on random packed rows with grouped-query heads, eager and compiled."""
    from attention_check import packed_qkv  # beside this script

    from nanochat.attention import attend, dense_attend, document_mask

    q, k, v, ids = packed_qkv(device)
    ref = dense_attend(q, k, v, ids)
    mask = document_mask(ids)
    qb, kb, vb = q.bfloat16(), k.bfloat16(), v.bfloat16()
    out = {"mask_type": type(mask).__name__}
    for name, fn in [("eager_call", attend), ("inside_compile", torch.compile(attend))]:
        fast = fn(qb, kb, vb, mask).float()
        out[name] = ((fast - ref).norm() / ref.norm()).item()
    out["ok"] = all(out[n] < 1e-2 for n in ("eager_call", "inside_compile"))
    return out


def finish(res: dict, flops_per_pos: float, peak_flops: float) -> dict:
    res["real_tok_s"] = res["real_tokens"] / res["seconds"]
    res["mfu"] = flops_per_pos * res["positions"] / res["seconds"] / peak_flops
    res["pad_share"] = 1 - res["real_tokens"] / res["positions"]
    if "optimizer_s" in res:
        res["optimizer_share"] = res["optimizer_s"] / res["step_s"]
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="tiny models on CPU, to check the script")
    ap.add_argument("--models", default="d34,d20", help="the first one also measures start-up")
    ap.add_argument("--steps", type=int, default=6, help="timed optimizer steps per variant")
    ap.add_argument("--large-steps", type=int, default=2, help="timed steps of the 262,144-token variant")
    ap.add_argument("--pad-batches", default="", help="nanochat v1 pad-to-longest baselines, e.g. 4,8")
    ap.add_argument("--large-step-tokens", type=int, default=262144)
    ap.add_argument("--time-limit", type=float, default=520, help="seconds; later variants are skipped past it")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if args.smoke:
        seq_len, vocab, median, depths = 128, 512, 25, {"d2": 2, "d3": 3}
        use_compile, budget, large_tokens, one_mb_cap = False, 2 * 2**30, 8 * 256, 4
    else:
        seq_len, vocab, median = 2048, 65536, 400
        depths = {m: int(m[1:]) for m in args.models.split(",")}
        use_compile, budget, large_tokens, one_mb_cap = device.type == "cuda", None, args.large_step_tokens, MAX_PROBE_ROWS
    card = torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor() or platform.machine()
    samples = synthetic_samples(6000 if not args.smoke else 400, seq_len, vocab, median)
    mean_conv = sum(s.positions for s in samples) / len(samples)
    recipe_tokens = round(RECIPE_CONVERSATIONS * mean_conv)
    out = {"card": card, "torch": torch.__version__, "seq_len": seq_len, "vocab": vocab, "median_len": median,
           "mean_conversation_positions": mean_conv, "recipe_step_tokens": recipe_tokens, "steps": args.steps,
           "results": {}}
    started = time.time()
    cache = ProbeCache(Path(tempfile.mkdtemp()) / "probe.json")  # cold: this run probes each model once

    def save():
        text = json.dumps(out, indent=2, default=str)
        for d in [os.environ.get("OUT"), "benchmarks/results"]:
            if d and not (d == "benchmarks/results" and args.smoke):
                Path(d).mkdir(parents=True, exist_ok=True)
                (Path(d) / "train_throughput.json").write_text(text)

    def over_time() -> bool:
        return time.time() - started > args.time_limit

    for index, (name, depth) in enumerate(depths.items()):
        cfg = model_config(depth, seq_len, vocab)
        torch.manual_seed(0)
        built_at = time.time()
        model = build(cfg, device)
        if use_compile:
            compile_blocks(model)
        flops = model.estimate_flops()
        res = out["results"][name] = {"config": cfg.to_dict(), "params": model.num_params(), "flops_per_token": flops,
                                      "nanochat_h200": NANOCHAT_H200.get(name)}
        recipe_rows = math.ceil(recipe_tokens / seq_len)
        variants = [("recipe", recipe_tokens, recipe_rows, args.steps), ("one_mb", None, one_mb_cap, args.steps),
                    ("large", large_tokens, one_mb_cap, args.large_steps)]
        variants += [(f"pad_b{b}", None, int(b), args.steps) for b in args.pad_batches.split(",") if b]
        for key, step_tokens, max_rows, steps in variants:
            if over_time():
                res[key] = {"skipped": "time limit"}
                continue
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            print(f"== {name} {key}", flush=True)
            try:
                if key.startswith("pad_"):
                    uncompile_blocks(model)
                    r = pad_loop(model, samples, device, max_rows, 8, steps, dtype)
                else:
                    r = packed_loop(model, samples, device, steps, dtype, step_tokens, max_rows, budget, cache)
                    if index == 0 and key == "recipe":
                        out["startup"] = {"model": name, "process_to_first_step_s": r["first_step_done"] - PROCESS_START,
                                          "build_to_first_step_s": r["first_step_done"] - built_at,
                                          "probe_s": r["probe_s"]}
                r = finish(r, flops, PEAK_BF16)
            except torch.OutOfMemoryError:
                r = {"oom": True}
            except Exception as exc:  # keep going: one variant's failure must not lose the others
                r = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
            for p in model.parameters():
                p.grad = None
            if device.type == "cuda":
                r["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
            res[key] = r
            print(f"   {json.dumps({k: v for k, v in r.items() if k not in ('trace', 'probe_trials')}, default=str)}", flush=True)
            save()
        del model
        gc.collect()
        if device.type == "cuda" and not over_time():
            torch.cuda.empty_cache()
            print(f"== {name} optimizer step alone", flush=True)
            try:
                res["optimizer"] = optimizer_bench(cfg, device, try_compile=index == 0)
            except Exception as exc:
                res["optimizer"] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
            print(f"   {json.dumps(res['optimizer'], default=str)}", flush=True)
            gc.collect()
            torch.cuda.empty_cache()
        save()
    if device.type == "cuda" and not over_time():
        out["attention_check"] = check_attention(device)
    out["elapsed_s"] = time.time() - started
    save()
    print_table(out)
    return 0


def print_table(out: dict) -> None:
    print(f"\ncard: {out['card']}; torch {out['torch']}; seq {out['seq_len']}; recipe step = "
          f"{RECIPE_CONVERSATIONS} conversations = {out['recipe_step_tokens']:,} tokens")
    print(f"{'model':5} {'step':7} {'rows/mb':>7} {'rows/step':>9} {'real tok/step':>13} {'real tok/s':>10} {'MFU':>6} "
          f"{'step s':>7} {'opt s':>6} {'opt %':>6} {'probe s':>8} {'peak GiB':>8}")
    for name, res in out["results"].items():
        for key, r in res.items():
            if not isinstance(r, dict) or key in ("config", "nanochat_h200", "optimizer"):
                continue
            if "real_tok_s" not in r:
                why = r.get("error", "")[:60] or ("OOM" if r.get("oom") else r.get("skipped", ""))
                print(f"{name:5} {key:7} {why}")
                continue
            opt = (f"{r['optimizer_s']:6.3f} {r['optimizer_share']:6.1%} {r['probe_s']:8.1f}" if "optimizer_s" in r
                   else f"{'-':>6} {'-':>6} {'-':>8}")  # the pad-to-longest baseline times whole steps only
            print(f"{name:5} {key:7} {r.get('micro_rows', '-'):>7} {r.get('rows_per_step', '-'):>9} "
                  f"{r['real_tokens'] / r['steps']:13,.0f} {r['real_tok_s']:10,.0f} {r['mfu']:6.1%} "
                  f"{r.get('step_s', r['seconds'] / r['steps']):7.3f} {opt} {r.get('peak_gib', 0):8.1f}")
        o = res.get("optimizer")
        if o and "muon_batched_s" in o:
            print(f"{name:5} optimizer alone: Muon first {o['muon_first_s']:.3f} s -> batched {o['muon_batched_s']:.3f} s "
                  f"(host {o['muon_batched_host_s'] * 1e3:.1f} ms; NS floor {o['ns_floor_s']:.3f} s at "
                  f"{o['bf16_bmm_tflops']:.0f} TFLOP/s), AdamW fused {o['adamw_fused_s'] * 1e3:.1f} ms; "
                  f"update vs first {o['step_update_rel_err_vs_first']:.2e}; host sync in step: {o['step_host_sync']}")
            print(f"{'':5} Newton-Schulz rel err vs fp32: {json.dumps(o['orthogonalize_rel_err'])}")
        if o and "momentum_square_compiled_s" in o:
            print(f"{'':5} momentum pass eager {o['momentum_square_eager_s'] * 1e3:.1f} ms vs compiled "
                  f"{o['momentum_square_compiled_s'] * 1e3:.1f} ms (compile {o['momentum_compile_s']:.0f} s)")
    if "startup" in out:
        st = out["startup"]
        print(f"start-up ({st['model']}, recipe step): process start -> first optimizer step {st['process_to_first_step_s']:.1f} s "
              f"(model build -> first step {st['build_to_first_step_s']:.1f} s; probe {st['probe_s']:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
