"""The one error every sqlcurate failure takes on its way to the user: a stable code and a message.

Library code raises ``SqlcurateError`` (or a subclass); ``sqlcurate.cli.main`` is the one place that turns
it into ``error: CODE message`` on stderr and exit status 2. Python callers catch it and read ``code``.
Row-level problems are not errors: they are findings (``sqlcurate.findings``), counted and quarantined.
"""

from __future__ import annotations


class SqlcurateError(Exception):
    """A failure that stops a whole run: bad usage, an unreadable input, an unreachable warehouse."""

    code: str = "ERROR"
    # a subclass that names its module's CODES table here gets every code it is raised with checked against it
    codes: dict[str, str] | None = None

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        if code is not None:
            assert self.codes is None or code in self.codes, f"{type(self).__name__}: undeclared code {code}"
            self.code = code
        self.message = message

    def render(self) -> str:
        """The one line users see."""
        return f"error: {self.code} {self.message}"


class LocatedError(SqlcurateError):
    """A run-stopping problem at a place in an input file. ``str()`` and the line users see are the usual
    diagnostic ``path:line: CODE reason`` (``error: path:line: CODE reason``), so the code is said once."""

    def __init__(self, code: str, path: object, line: int, reason: str) -> None:
        super().__init__(code, f"{path}:{line}: {code} {reason}")
        self.path, self.line, self.reason = str(path), line, reason

    def render(self) -> str:
        return f"error: {self.message}"
