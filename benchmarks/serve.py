"""`sqlcurate serve` under load: N concurrent streaming clients, batched vs one request at a time.

    PYTHONPATH=src python3 benchmarks/serve.py                       # CPU, the demo d2 checkpoint
    PYTHONPATH=src python3 benchmarks/serve.py --model d20 --device cuda --clients 1 4 16 --out serve_gpu.json

A real server (uvicorn, the app as `sqlcurate serve` builds it, keys on) on 127.0.0.1; each client
thread streams chat completions over HTTP and records the time to the first content chunk (TTFT) and
the time between later chunks. Each load runs twice: ``--max-batch 1`` (decoding one request at a time,
the others queue) and batched (``--max-batch N``). ``d20`` is a randomly initialised model of nanochat
d20's shape (20 layers, 1280 wide, 10 heads, 65,536 vocabulary, 2,048 context): its speed is the real
model's; its text is not (with nanochat's zero-initialised head every logit is 0, greedy never stops, so
every answer is exactly --max-tokens long).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import torch

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["How many trades per day on dex.trades?", "Top 10 pools by volume last week?",
             "Which tokens had the most swaps yesterday?", "Average trade size per pool?"]


def load(model: str, device: str):
    from nanochat.gpt import GPT, GPTConfig
    from sqlcurate.eval.generate import LoadedModel, load_for_inference

    demo = load_for_inference(ROOT / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2", device=device)
    if model == "demo":
        return demo
    torch.manual_seed(0)
    with torch.device(device):
        gpt = GPT(GPTConfig(sequence_len=2048, vocab_size=65536, n_layer=20, n_head=10, n_kv_head=10, n_embd=1280))
        gpt.init_weights()
    gpt.eval()
    # the demo tokenizer renders the prompts (ids < 1000 exist in any vocabulary); greedy emits id 0
    return LoadedModel(gpt, demo.tokenizer, demo.directory, 0, "random init, d20 shape", {})


def start(loaded, max_batch: int, clients: int, max_tokens: int):
    import uvicorn

    from sqlcurate.serve.app import ServeState, create_app
    from sqlcurate.serve.feedback_log import FeedbackLog
    from sqlcurate.serve.keys import KeyStore
    from sqlcurate.serve.limits import Limits
    from sqlcurate.serve.service import ChatService
    from sqlcurate.serve.verdicts import AnswerChecker

    tmp = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    store = KeyStore(tmp / "keys.json")
    key = store.add("bench")[1]
    limits = replace(Limits(), max_batch=max_batch, concurrent_per_key=clients, requests_per_minute=100_000,
                     max_tokens=max_tokens)
    state = ServeState(ChatService(loaded, max_batch), "bench", store, limits, AnswerChecker(), FeedbackLog(tmp / "log.jsonl"))
    server = uvicorn.Server(uvicorn.Config(create_app(state), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, state, key, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def client(url: str, key: str, question: str, max_tokens: int, requests: int, out: list) -> None:
    """Stream ``requests`` answers one after another; record (start, content chunk times, tokens)."""
    with httpx.Client(timeout=600) as http:
        for _ in range(requests):
            t0 = time.perf_counter()
            stamps, tokens = [], 0
            body = {"messages": [{"role": "user", "content": question}], "stream": True, "max_tokens": max_tokens}
            with http.stream("POST", url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}) as r:
                for line in r.iter_lines():
                    if not line.startswith("data: {"):
                        continue
                    chunk = json.loads(line[6:])
                    if chunk["choices"][0]["delta"].get("content"):
                        stamps.append(time.perf_counter())
                    if "usage" in chunk:
                        tokens = chunk["usage"]["completion_tokens"]
            out.append((t0, stamps, tokens))


def run(url: str, key: str, clients: int, requests: int, max_tokens: int, state) -> dict:
    results: list = []
    steps0 = state.service.batcher.steps
    threads = [threading.Thread(target=client, args=(url, key, QUESTIONS[i % len(QUESTIONS)], max_tokens, requests, results))
               for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    tokens = sum(n for _, _, n in results)
    ttft = sorted(s[0] - start for start, s, _ in results if s)
    gaps = sorted(b - a for _, s, _ in results for a, b in zip(s, s[1:], strict=False))
    q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")  # noqa: E731
    return {"clients": clients, "requests": len(results), "tokens": tokens, "seconds": round(wall, 3),
            "tokens_per_s": round(tokens / wall, 1), "ttft_p50_ms": round(1000 * q(ttft, 0.5), 1),
            "ttft_p95_ms": round(1000 * q(ttft, 0.95), 1), "per_token_p50_ms": round(1000 * q(gaps, 0.5), 2),
            "per_token_p95_ms": round(1000 * q(gaps, 0.95), 2), "decode_steps": state.service.batcher.steps - steps0,
            "peak_batch": state.service.batcher.peak_rows, "mean_ttft_ms": round(1000 * statistics.fmean(ttft), 1) if ttft else None}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["demo", "d20"], default="demo")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--requests", type=int, default=2, help="requests per client")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--out", default="serve.json")
    args = ap.parse_args()
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    loaded = load(args.model, args.device)
    rows = []
    for clients in args.clients:
        for max_batch in sorted({1, clients}):
            server, thread, state, key, url = start(loaded, max_batch, clients, args.max_tokens)
            run(url, key, 1, 1, 4, state)  # warm-up
            state.service.batcher.peak_rows = 0
            row = {"max_batch": max_batch, **run(url, key, clients, args.requests, args.max_tokens, state)}
            rows.append(row)
            print(f"clients {clients:>3}  max_batch {max_batch:>3}  {row['tokens_per_s']:>8} tok/s  "
                  f"TTFT p50 {row['ttft_p50_ms']:>8} ms p95 {row['ttft_p95_ms']:>8} ms  "
                  f"per token p50 {row['per_token_p50_ms']:>7} ms p95 {row['per_token_p95_ms']:>7} ms  peak batch {row['peak_batch']}",
                  flush=True)
            server.should_exit = True
            thread.join()
            state.service.close()
    device = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    result = {"model": args.model, "device": device, "max_tokens": args.max_tokens, "rows": rows}
    out = ROOT / "benchmarks" / "results" / args.out
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
