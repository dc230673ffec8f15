"""Question exchange formats. Each module reads bytes into `BankItem`s plus
`ImportProblem`s (never silently dropping anything) and writes `BankItem`s
back out: ``parse(data, *, filename) -> ParseResult`` and
``export(items) -> bytes``. Nothing here touches the database."""
