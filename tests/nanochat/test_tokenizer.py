"""Tokenizer against the nanochat v1 reference outputs, and the restricted unpickler."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest

from nanochat.tokenizer import Tokenizer, UnsafeTokenizerFile, load_encoding, load_token_bytes


@pytest.fixture(scope="module")
def tok(nanochat_fixtures):
    return Tokenizer.from_directory(nanochat_fixtures / "tokenizer")


@pytest.fixture(scope="module")
def render_ref(nanochat_fixtures):
    return json.loads((nanochat_fixtures / "reference" / "render.json").read_text())


def test_vocab_and_special_tokens(tok, render_ref):
    assert tok.vocab_size == render_ref["vocab_size"] == tok.get_vocab_size()
    assert tok.get_bos_token_id() == render_ref["bos_token_id"]
    assert {name: tok.encode_special(name) for name in render_ref["special_tokens"]} == render_ref[
        "special_tokens"
    ]


def test_contents_match_plain_json(tok, nanochat_fixtures):
    ref = json.loads((nanochat_fixtures / "reference" / "tokenizer_contents.json").read_text())
    enc = tok.enc
    assert enc.name == ref["name"]
    assert enc._pat_str == ref["pat_str"]
    assert enc.n_vocab == ref["n_vocab"]
    assert enc._special_tokens == ref["special_tokens"]
    ranks = list(enc._mergeable_ranks.items())
    assert len(ranks) == ref["n_mergeable_ranks"]
    assert [k.hex() for k, _ in ranks] == ref["mergeable_ranks_hex_in_rank_order"]
    assert [v for _, v in ranks] == list(range(len(ranks)))


@pytest.mark.parametrize("index", range(10))
def test_render_conversation(tok, render_ref, index):
    case = render_ref["conversations"][index]
    ids, mask = tok.render_conversation(case["conversation"], **case["render_conversation_kwargs"])
    assert ids == case["ids"], case["name"]
    assert mask == case["mask"], case["name"]
    assert tok.decode(ids) == case["decoded"]
    if case["render_for_completion_ids"] is not None:
        assert tok.render_for_completion(case["conversation"]) == case["render_for_completion_ids"]
    # the bare list form (nanochat JSONL lines) renders the same
    assert tok.render_conversation(
        case["conversation"]["messages"], **case["render_conversation_kwargs"]
    ) == (ids, mask)


def test_render_does_not_mutate_input(tok, render_ref):
    case = next(c for c in render_ref["conversations"] if c["name"] == "system_message")
    before = json.dumps(case["conversation"])
    tok.render_conversation(case["conversation"])
    tok.render_for_completion(case["conversation"])
    assert json.dumps(case["conversation"]) == before


def test_render_errors_match_reference(tok, render_ref):
    assert len(render_ref["errors"]) == 6
    for case in render_ref["errors"]:
        with pytest.raises(Exception) as info:
            getattr(tok, case["call"])(case["conversation"])
        assert type(info.value).__name__ == case["error_type"], case["name"]
        assert str(info.value) == case["message"], case["name"]


def test_encode_and_roundtrip(tok, render_ref):
    for case in render_ref["encode"]:
        assert tok.encode(case["text"]) == case["ids"], case["text"]
        assert tok.decode(case["ids"]) == case["decoded"]


def test_encode_batch_prepend_append(tok, render_ref):
    case = render_ref["encode_batch_with_prepend_append"]
    assert tok.encode(case["texts"], prepend=case["prepend"], append=case["append"]) == case["ids"]
    ids = [tok.encode(t, prepend=case["prepend"], append=case["append"]) for t in case["texts"]]
    assert ids == case["ids"]
    with pytest.raises(ValueError, match="Invalid input type"):
        tok.encode(42)


def test_decode_partial_utf8(tok, render_ref):
    for case in render_ref["decode_single_ids"]:
        assert tok.decode([case["id"]]) == case["decoded"] == "\ufffd"
        assert tok.enc.decode_single_token_bytes(case["id"]).hex() == case["token_bytes_hex"]


def test_token_bytes(tok, nanochat_fixtures):
    token_bytes = load_token_bytes(nanochat_fixtures / "tokenizer")
    assert str(token_bytes.dtype) == "torch.int32" and tuple(token_bytes.shape) == (1000,)
    special = set(tok.enc._special_tokens.values())
    expected = [0 if i in special else len(tok.decode([i]).encode("utf-8")) for i in range(tok.vocab_size)]
    assert token_bytes.tolist() == expected
    ref = json.loads((nanochat_fixtures / "reference" / "tokenizer_contents.json").read_text())
    raw = [
        len(tok.enc.decode_single_token_bytes(i))
        for i in range(tok.enc.n_vocab - len(tok.enc._special_tokens))
    ]
    differs = [i for i, n in enumerate(raw) if n != token_bytes[i].item()]
    listed = ref["token_bytes_differs_from_raw_byte_length_at_ids"]  # the fixture lists the first ones
    assert listed and differs[: len(listed)] == listed
    assert len(differs) == ref["token_bytes_differs_from_raw_byte_length_count"]


def test_tokenizer_module_does_not_import_torch(repo):
    code = "import sys, nanochat.tokenizer; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo)


class _CallsSystem:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "tokenizer.pkl"
    for protocol in (0, 2, 4):
        bad.write_bytes(pickle.dumps(_CallsSystem(marker), protocol=protocol))
        with pytest.raises(UnsafeTokenizerFile) as info:
            Tokenizer.from_directory(tmp_path)
        assert str(bad) in str(info.value)
        assert "system" in str(info.value)  # names the forbidden object (posix.system / os.system)
        assert not marker.exists()


def test_allowed_class_called_with_reduce_is_refused(tmp_path, nanochat_fixtures):
    # Naming only the allowed class, but calling it (REDUCE) instead of rebuilding it from state
    import tiktoken

    class CallsEncoding:
        def __reduce__(self):
            return (tiktoken.core.Encoding, ("x", "y", {}, {}))

    path = tmp_path / "tokenizer.pkl"
    path.write_bytes(pickle.dumps(CallsEncoding(), protocol=4))
    with pytest.raises(UnsafeTokenizerFile, match="opcode REDUCE"):
        load_encoding(path)


def _encoding_pickle(state) -> bytes:
    """A pickle that names tiktoken.core.Encoding and rebuilds it from ``state`` (as tiktoken writes it)."""
    head = b"\x80\x03ctiktoken.core\nEncoding\n)\x81"  # PROTO 3, GLOBAL, EMPTY_TUPLE, NEWOBJ
    body = pickle.dumps(state, protocol=3)[2:-1]  # the state without its PROTO and STOP
    return head + body + b"b."  # BUILD, STOP


def test_wrong_state_refused(tmp_path, nanochat_fixtures):
    path = tmp_path / "tokenizer.pkl"
    real = load_encoding(nanochat_fixtures / "tokenizer" / "tokenizer.pkl")
    good = {
        "name": real.name,
        "pat_str": real._pat_str,
        "mergeable_ranks": real._mergeable_ranks,
        "special_tokens": real._special_tokens,
    }
    path.write_bytes(_encoding_pickle(good))
    assert load_encoding(path).encode_ordinary("SELECT 1") == real.encode_ordinary("SELECT 1")
    path.write_bytes(_encoding_pickle({**good, "mergeable_ranks": {b"a": "zero"}}))
    with pytest.raises(UnsafeTokenizerFile, match="mergeable_ranks must map bytes to int"):
        load_encoding(path)
    path.write_bytes(_encoding_pickle({**good, "extra": 1}))
    with pytest.raises(UnsafeTokenizerFile, match="exactly the keys"):
        load_encoding(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(UnsafeTokenizerFile, match="not a readable pickle"):
        load_encoding(path)
