"""Public APIs only: no code of ours uses a dependency's private names.

Read from the source (the AST of every module of the app, its migrations and its
benchmarks), not from a hand-kept list: a name with one leading underscore that
is read as an attribute, imported, passed as a keyword or named in ``getattr``
must be one our own code defines. Anything else is a library's private name
(``Mapper._identity_key_from_state``, ``LocalProxy._get_current_object``,
``waitress.serve(_quiet=...)``) and the test names the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("casemgr", "rma", "escalation", "reports", "migrations", "bench")
FIRST_PARTY = (*CHECKED, "tests")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for top in CHECKED for path in (ROOT / top).rglob("*.py")}


def _own_names(trees) -> set[str]:
    """Every name our code defines: functions, classes, attributes it assigns, variables, parameters."""
    own: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
    return own


def private_uses(modules: dict[Path, ast.Module]) -> list[str]:
    own = _own_names(modules.values())
    found = []
    for path, tree in modules.items():
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] not in FIRST_PARTY:
                parts = node.module.split(".")
                names = [a.name for a in node.names]
                if any(_private(p) for p in parts) or any(_private(n) for n in names):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {', '.join(names)}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] not in FIRST_PARTY and any(_private(p) for p in parts):
                        found.append(f"{where}:{node.lineno}: import {alias.name}")
            elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
                found.append(f"{where}:{node.lineno}: .{node.attr}")
            elif isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg and _private(keyword.arg) and keyword.arg not in own:
                        found.append(f"{where}:{node.lineno}: keyword {keyword.arg}=")
                named = node.args[1] if len(node.args) > 1 else None
                if (
                    isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
                    and isinstance(named, ast.Constant)
                    and isinstance(named.value, str)
                    and _private(named.value)
                    and named.value not in own
                ):
                    found.append(f"{where}:{node.lineno}: {node.func.id}(..., {named.value!r})")
    return found


def test_no_private_name_of_a_dependency_is_used():
    assert private_uses(_modules()) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from sqlalchemy.orm.base import _entity_descriptor\n", "from sqlalchemy.orm.base import"),
        ("import psycopg._cursor_base\n", "import psycopg._cursor_base"),
        ("state.manager.dispatch._load(state)\n", "._load"),
        ("waitress.serve(app, _quiet=True)\n", "keyword _quiet="),
        ("getattr(limiter, '_check_request_limit')()\n", "getattr(..., '_check_request_limit')"),
    ],
)
def test_the_check_finds_each_kind_of_private_use(source, expected):
    found = private_uses({ROOT / "casemgr" / "example.py": ast.parse(source)})
    assert len(found) == 1 and expected in found[0]


def test_our_own_underscored_names_are_allowed():
    source = (
        "class A:\n"
        "    def __init__(self):\n"
        "        self._cache = {}\n"
        "\n"
        "    def _load(self):\n"
        "        return self._cache\n"
    )
    assert private_uses({ROOT / "casemgr" / "example.py": ast.parse(source)}) == []
