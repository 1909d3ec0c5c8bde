"""Our own nanochat-compatible model, tokenizer, checkpoint I/O, generation and SFT trainer.

Reads and writes the files of nanochat v1 (the format of the released d32/d34 checkpoints)."""
