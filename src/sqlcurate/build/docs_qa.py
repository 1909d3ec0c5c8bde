"""Docs -> one question/answer per section: the question names the section's heading path, the answer
is the section's text (code blocks intact, so any SQL in them goes through the same checks). Dataform
actions also lend their descriptions to query-log templates with the same SQL, as their question."""

from __future__ import annotations

import re

from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import DocSection
from sqlcurate.sql.fingerprint import fingerprint

# a Dataform action's section, as the docs connector writes it: the config description, then the SQL
_SQLX_SECTION = re.compile(r"\A(?P<description>[^`]+?)\n\n```sql\n(?P<sql>.*)\n```\Z", re.S)


def doc_conversation(section: DocSection) -> Conversation:
    topic = " > ".join(section.heading_path)
    return Conversation(
        messages=[Message(role="user", content=f"What do our docs say about {topic}?"),
                  Message(role="assistant", content=section.text.strip())],
        meta={"source": f"{section.source}:{section.line}", "task": "docs", "doc_section": section.heading_path},
    )


def dataform_descriptions(sections: list[DocSection]) -> dict[str, str]:
    """SQL fingerprint -> the description its Dataform action gives it: a query-log template with the
    same fingerprint is asked in those words (the team wrote them)."""
    out = {}
    for section in sections:
        if section.source.endswith(".sqlx") and (m := _SQLX_SECTION.match(section.text.strip())):
            out.setdefault(fingerprint(m.group("sql")), " ".join(m.group("description").split()))
    return out
