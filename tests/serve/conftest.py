"""A real server on 127.0.0.1 (uvicorn in a thread of the test process) over the demo d2 checkpoint."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import uvicorn

from sqlcurate.serve.limits import Limits


class Running:
    def __init__(self, state):
        from sqlcurate.serve.app import create_app

        self.state = state
        self.app = create_app(state)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning",
                                                    timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self, key: str):
        from openai import OpenAI

        return OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=30)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.state.service.close()
        self.state.log.close()


@pytest.fixture(scope="session")
def demo_model(repo):
    import torch

    from sqlcurate.eval.generate import load_for_inference

    torch.set_num_threads(1)
    return load_for_inference(repo / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2", device="cpu")


@pytest.fixture(scope="session")
def slow_model(demo_model):
    """A random-init model with a long context (2048) and the demo tokenizer: about 2 ms a token on a CPU
    thread, and greedy on near-zero logits never stops early, so a long answer is reliably in flight."""
    import torch

    from nanochat.gpt import GPT, GPTConfig
    from sqlcurate.eval.generate import LoadedModel

    torch.manual_seed(0)
    model = GPT(GPTConfig(sequence_len=2048, vocab_size=1000, n_layer=4, n_head=4, n_kv_head=4, n_embd=256))
    model.init_weights()
    model.eval()
    return LoadedModel(model, demo_model.tokenizer, demo_model.directory, 0, "random init", {})


@pytest.fixture(scope="session")
def make_server(demo_model, tmp_path_factory):
    """Start servers with given limits and keys; each has its own keys file and log."""
    from sqlcurate.serve.app import ServeState
    from sqlcurate.serve.feedback_log import FeedbackLog
    from sqlcurate.serve.keys import KeyStore
    from sqlcurate.serve.service import ChatService
    from sqlcurate.serve.verdicts import AnswerChecker

    started = []

    def make(limits: Limits | None = None, labels=("alice", "bob"), checker=None, require_valid_sql=0, model=None):
        limits = limits or Limits()
        root = tmp_path_factory.mktemp("serve")
        store = KeyStore(root / "keys.json")
        keys = {label: store.add(label)[1] for label in labels}
        state = ServeState(service=ChatService(model or demo_model, limits.max_batch), model_name="demo-d2", keys=store,
                           limits=limits, checker=checker or AnswerChecker(), log=FeedbackLog(root / "log.jsonl"),
                           require_valid_sql=require_valid_sql)
        running = Running(state)
        running.keys, running.store, running.log_path = keys, store, root / "log.jsonl"
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def server(make_server):
    return make_server(replace(Limits(), max_tokens=24))
