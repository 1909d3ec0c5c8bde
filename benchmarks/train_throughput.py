"""SFT throughput: our packed loop vs nanochat v1's pad-to-longest loop, same model, same card.

For each model (d20, d34 by nanochat's depth rule: n_embd = 64 * depth, head_dim 128, vocab 65536,
sequence 2048; random weights) and synthetic SQL-chat lengths (lognormal, median 400 tokens, capped at
2049), in one process:
- pad:    nanochat v1 chat_sft's way: eager model, micro-batches of 4 (or 8) conversations padded to
          the longest, 8 accumulation steps, Muon + AdamW;
- packed: ours (nanochat.sft.Runner): conversations packed best-fit into 2048-position rows with
          block-causal attention (FlexAttention, compiled blocks), micro-batch sized by the automatic
          probe, bf16 autocast, the same optimizers.
Each variant runs one untimed warm-up step and then a fixed number of timed optimizer steps.
Reports real (non-pad) tokens/s, MFU (nanochat's estimate_flops per position, counted over every
position computed, padding included, against the H100's 989 TFLOP/s bf16 dense peak), peak memory.

    PYTHONPATH=src python3 benchmarks/train_throughput.py            # on the GPU
    PYTHONPATH=src python3 benchmarks/train_throughput.py --smoke    # tiny sizes, CPU, seconds

Writes JSON to $OUT/train_throughput.json (if $OUT is set) and benchmarks/results/train_throughput.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import sys
import time
import traceback
from pathlib import Path

for k, v in {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1",
             "PYTORCH_ALLOC_CONF": "expandable_segments:True"}.items():
    os.environ.setdefault(k, v)

import torch  # noqa: E402

from nanochat.gpt import GPT, GPTConfig  # noqa: E402
from nanochat.optim import setup_optimizers  # noqa: E402
from nanochat.packing import IGNORE, Sample, epoch_rows, packing_efficiency  # noqa: E402
from nanochat.sft import Runner, compile_blocks, probe_micro_batch, rows_per_step, uncompile_blocks  # noqa: E402

H100_BF16_PEAK = 989e12
NANOCHAT_H100 = {  # nanochat v1 chat_sft on an H100 80GB, torch 2.11, from issue 5 (best real tokens/s)
    "d20": {"best_real_tok_s": 19.7e3, "note": "batch 8: 19.7k (43.7 GiB); batch 4: 9.5k; batch 16 OOM"},
    "d34": {"best_real_tok_s": 7.1e3, "note": "batch 4: 7.1k, 66 GiB, 15% MFU counting padding; batch 8 OOM"},
}


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


def packed_loop(model: GPT, samples: list[Sample], device, steps: int, dtype, target_tokens: int,
                budget: int | None, fixed_rows: int | None, use_compile: bool) -> dict:
    seq_len = model.config.sequence_len
    opts = setup_optimizers(model, model.config.n_embd)
    if use_compile:
        compile_blocks(model)
    runner = Runner(model, opts, device, seq_len, dtype=dtype)
    t0 = time.time()
    if fixed_rows:
        runner.micro_rows, probe = fixed_rows, None
    else:
        probe = probe_micro_batch(runner, budget)
        runner.micro_rows = probe.rows
    probe_s = time.time() - t0
    print(probe.line() if probe else f"micro-batch fixed at {fixed_rows}", flush=True)
    rps = rows_per_step(target_tokens, seq_len, runner.micro_rows, 1)
    rows = epoch_rows(samples, seq_len, seed=0, epoch=0)
    while len(rows) < (steps + 1) * rps:
        rows += epoch_rows(samples, seq_len, seed=0, epoch=len(rows))
    times, real, positions, opt_times = [], 0, 0, []
    runner.time_optimizer = True
    for step in range(steps + 1):
        step_rows = rows[step * rps:(step + 1) * rps]
        sync()
        t0 = time.time()
        runner.step(step_rows, 1.0 - step / (steps + 1))
        sync()
        if step > 0:
            times.append(time.time() - t0)
            opt_times.append(runner.last_optimizer_s)
            real += sum(s.positions for r in step_rows for s in r)
            positions += len(runner.micro_batches(step_rows)) * runner.micro_rows * seq_len
    return {"seconds": sum(times), "real_tokens": real, "positions": positions, "steps": steps,
            "micro_rows": runner.micro_rows, "rows_per_step": rps, "probe_s": probe_s,
            "optimizer_s_per_step": sum(opt_times) / max(len(opt_times), 1),
            "probe_trials": probe.trials if probe else None,
            "packing_efficiency": packing_efficiency(rows[: (steps + 1) * rps], seq_len)}


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
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="tiny models on CPU, to check the script")
    ap.add_argument("--models", default="d20,d34")
    ap.add_argument("--steps", type=int, default=3, help="timed optimizer steps per variant")
    ap.add_argument("--pad-batches", default="4,8")
    ap.add_argument("--target-tokens", type=int, default=262144, help="our tokens per optimizer step")
    ap.add_argument("--time-limit", type=float, default=480, help="seconds; later variants are skipped past it")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if args.smoke:
        seq_len, vocab, median, depths = 256, 512, 50, {"d2": 2, "d3": 3}
        target, fixed, use_compile, budget = 4 * 256, None, False, 2 * 2**30
    else:
        seq_len, vocab, median = 2048, 65536, 400
        depths = {m: int(m[1:]) for m in args.models.split(",")}
        target, fixed, use_compile, budget = args.target_tokens, None, device.type == "cuda", None
    card = torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor() or platform.machine()
    out = {"card": card, "torch": torch.__version__, "seq_len": seq_len, "vocab": vocab, "median_len": median,
           "steps": args.steps, "target_tokens_per_step": target, "results": {}}
    started = time.time()
    samples = synthetic_samples(6000 if not args.smoke else 400, seq_len, vocab, median)
    if device.type == "cuda":
        out["attention_check"] = check_attention(device)
        print(f"attention fast path vs reference: {out['attention_check']}", flush=True)

    def save():
        text = json.dumps(out, indent=2, default=str)
        for d in [os.environ.get("OUT"), "benchmarks/results"]:
            if d and not (d == "benchmarks/results" and args.smoke):
                Path(d).mkdir(parents=True, exist_ok=True)
                (Path(d) / "train_throughput.json").write_text(text)

    for name, depth in depths.items():
        cfg = model_config(depth, seq_len, vocab)
        torch.manual_seed(0)
        model = build(cfg, device)
        flops = model.estimate_flops()
        res = out["results"][name] = {"config": vars(cfg) if not hasattr(cfg, "__dataclass_fields__") else cfg.__dict__,
                                      "params": model.num_params() if hasattr(model, "num_params") else None,
                                      "flops_per_token": flops, "nanochat_h100": NANOCHAT_H100.get(name)}
        # ours first: its figures are the point; the baselines can be skipped by the time limit
        variants = [("packed", 0)] + [("pad", int(b)) for b in args.pad_batches.split(",")]
        for kind, batch in variants:
            key = f"pad_b{batch}" if kind == "pad" else "packed_auto"
            if time.time() - started > args.time_limit:
                res[key] = {"skipped": "time limit"}
                continue
            gc.collect()
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            print(f"== {name} {key}", flush=True)
            try:
                if kind == "pad":
                    uncompile_blocks(model)
                    r = pad_loop(model, samples, device, batch, 8, args.steps, dtype)
                else:
                    r = packed_loop(model, samples, device, args.steps, dtype, target, budget, fixed, use_compile)
                r = finish(r, flops, H100_BF16_PEAK)
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
    out["elapsed_s"] = time.time() - started
    save()

    print(f"\ncard: {card}; seq {seq_len}; {args.steps} timed steps per variant; ours: {target} tokens/step")
    print(f"{'model':6} {'variant':12} {'real tok/s':>11} {'MFU':>6} {'peak GiB':>9} {'pad':>5}  note")
    for name, res in out["results"].items():
        best_pad = max((v.get("real_tok_s", 0) for k, v in res.items() if k.startswith("pad_")), default=0)
        for key, r in res.items():
            if not (key.startswith("pad_") or key.startswith("packed")):
                continue
            if "real_tok_s" not in r:
                print(f"{name:6} {key:12} {'-':>11} {'-':>6} {r.get('peak_gib', 0):9.1f} {'':>5}  {r.get('error', '')[:60] or ('OOM' if r.get('oom') else r.get('skipped', ''))}")
                continue
            note = ""
            if key.startswith("packed"):
                ref = (res.get("nanochat_h100") or {}).get("best_real_tok_s")
                note = f"rows {r['micro_rows']}; x{r['real_tok_s'] / best_pad:.1f} vs pad here" if best_pad else f"rows {r['micro_rows']}"
                if ref:
                    note += f"; x{r['real_tok_s'] / ref:.1f} vs nanochat's {ref / 1e3:.1f}k"
            print(f"{name:6} {key:12} {r['real_tok_s']:11,.0f} {r['mfu']:6.1%} {r.get('peak_gib', 0):9.1f} {r['pad_share']:5.0%}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
