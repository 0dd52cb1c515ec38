"""The package's shape, checked on its source: sizes, and no reaching into another module's private names.

The layers and import cycles are checked by import-linter (`lint-imports`, configured in pyproject.toml) and
style by ruff; both run in `make test`. What neither checks is here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "searchlab"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(source: str, here: str) -> list[str]:
    """`from searchlab.x import _name` in module `here`'s source, where searchlab.x is another module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("searchlab"):
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and node.module != here:
                    found.append(f"{here} imports {node.module}.{alias.name} (line {node.lineno})")
    return found


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} has {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_no_module_imports_another_modules_private_name():
    found = [
        line for path in _sources() for line in private_imports(path.read_text(encoding="utf-8"), _module_name(path))
    ]
    assert not found, "make these names public or move the code:\n" + "\n".join(found)


def test_no_file_is_longer_than_the_limit():
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not long, f"files over {MAX_FILE_LINES} lines: {long}"


def test_no_function_is_longer_than_the_limit():
    found = [line for path in _sources() for line in long_functions(path)]
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from searchlab.core.files import _jsonable\n",
            ["searchlab.games.probe imports searchlab.core.files._jsonable"],
        ),
        ("from searchlab.games.probe import _own\n", []),
        ("from searchlab.core.files import write_json, __all__\n", []),
        ("from searchlab.core import files\n", []),
    ],
)
def test_the_private_import_check_finds_what_it_should(source, expected):
    assert [line.split(" (line")[0] for line in private_imports(source, "searchlab.games.probe")] == expected
