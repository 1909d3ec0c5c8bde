"""Docs -> one question/answer per section: the question names the section's heading path, the answer
is the section's text (code blocks intact, so any SQL in them goes through the same checks)."""

from __future__ import annotations

from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import DocSection


def doc_conversation(section: DocSection) -> Conversation:
    topic = " > ".join(section.heading_path)
    return Conversation(
        messages=[Message(role="user", content=f"What do our docs say about {topic}?"),
                  Message(role="assistant", content=section.text.strip())],
        meta={"source": f"{section.source}:{section.line}", "task": "docs", "doc_section": section.heading_path},
    )
