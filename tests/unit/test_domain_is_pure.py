"""lms.domain must not import Flask, SQLAlchemy or any other lms area."""

import ast
from pathlib import Path

import lms.domain

FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "celery")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_domain_modules_import_only_pure_code():
    root = Path(lms.domain.__file__).parent
    files = list(root.rglob("*.py"))
    assert files
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            if top == "lms":
                assert name.startswith("lms.domain"), f"{path.name} imports {name}"
