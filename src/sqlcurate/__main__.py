"""`python -m sqlcurate` is the `sqlcurate` command."""

from sqlcurate.cli import main

main()
