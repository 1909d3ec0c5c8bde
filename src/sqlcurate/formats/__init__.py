"""Conversation files in and out, one row at a time.

- ``sources``: where bytes come from (files, ``-``, FIFOs, gzip/bzip2/zstd) and their layout (JSONL, a JSON
  array streamed element by element, one JSON document).
- ``lines``: bounded binary line reading, strict UTF-8 decoding and JSON parsing, with LINE_/FILE_ reason codes.
- ``readers``: nanochat, messages, ShareGPT, Alpaca, TRL, ``auto`` (per row), Parquet and Arrow, all into
  ``sqlcurate.conversation.check_messages``, training flags carried; ``mapping``: other names for the same shapes.
- ``writers``: ``open_writer(path, fmt, system_policy, inputs, files)`` for nanochat (+ ``.meta.jsonl``), messages
  and Parquet; ``JsonlLog`` for change logs; ``sidecar_path`` names them. ``rejects``: the one quarantine writer.
- ``pipeline``: the streaming loop shared by ``convert``, ``validate`` and ``redact`` (``redacting``);
  ``report``: its tables and JSON.
"""
