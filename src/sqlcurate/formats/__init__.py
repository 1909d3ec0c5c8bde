"""Conversation files in and out, one line at a time.

- ``lines``: bounded binary line reading, UTF-8 decoding and JSON parsing, with LINE_/FILE_ reason codes.
- ``readers``: nanochat, messages, ShareGPT, Alpaca, ``auto`` (per line) and Parquet, all into
  ``sqlcurate.conversation.check_messages``.
- ``writers``: ``open_writer(path, fmt, system_policy, inputs)`` for nanochat (+ ``.meta.jsonl``), messages and
  Parquet; ``JsonlLog`` for quarantine and change logs; ``sidecar_path`` names them.
- ``pipeline``: the streaming loop shared by ``convert`` and ``validate``; ``report``: its tables and JSON.
"""
