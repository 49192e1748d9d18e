"""Tests reach the code through its public API, not through other modules' private names.

A test of package ``p`` (``tests/p/...``, or ``tests/test_p.py`` for a top-level module
``embedviz.p``) may use ``p``'s own private names sparingly; a private name (one leading
underscore, not a dunder) owned by another embedviz package is an error. The owner of
``x._name`` is every embedviz package that defines ``_name`` (a module-level name, a def,
or a ``self._name`` attribute); a name no embedviz package defines is another library's
private and is an error too. ``from m import _name`` and ``monkeypatch.setattr(m,
"_name", ...)`` count like ``m._name``.

Run it as a script to list the accesses: ``python tests/test_no_private_access.py``.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "embedviz"
TESTS = ROOT / "tests"
# Names that look private but are public by convention (the namedtuple API).
ALLOWED = {"_asdict", "_replace", "_fields", "_make"}
# Other libraries' privates with no public equivalent, and why the tests need them.
THIRD_PARTY = {
    "_handle_msg": "ipywidgets: the one entry of a front-end message; tests stand in for "
                   "the browser",
    "_send": "ipywidgets: where state syncs leave for the front end; a test counts them",
    "_getframe": "sys: a test tells which function is waiting from its caller's frame",
}

# Accesses in the Explorer's tests left for the Explorer's rework, which owns scatter.py and
# these tests: each needs a public read on Scatter (the region names drawn, the colour
# legend sent) or a public hook where a fit starts. Remove an entry once its test is fixed
# (the test below fails while an entry names an access that is gone).
PENDING: dict[tuple[str, str], str] = {}


def _package_of(module_path: Path) -> str:
    parts = module_path.relative_to(PACKAGE).parts
    return parts[0].removesuffix(".py") if parts else ""


def private_definitions() -> dict[str, set[str]]:
    """``_name`` -> the embedviz packages (top-level modules or subpackages) defining it."""
    owners: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        pkg = _package_of(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names = [node.id]
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names = [node.attr]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setattr" \
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                names = [str(node.args[1].value)]  # object.__setattr__-style assignments
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "__setattr__" \
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                names = [str(node.args[1].value)]
            for name in names:
                if _is_private(name):
                    owners[name].add(pkg)
    return owners


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in ALLOWED


def _under_test(test_path: Path) -> set[str]:
    """The embedviz packages a test file tests: its folder under tests/, or test_<module>."""
    parts = test_path.relative_to(TESTS).parts
    if len(parts) > 1:
        return {parts[0]}
    return {test_path.stem.removeprefix("test_")}


def accesses(test_path: Path) -> list[tuple[int, str]]:
    """``(line, name)`` of every private name the test file reads of any object."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(test_path.read_text(), str(test_path))):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue  # a test's own helper class
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("embedviz"):
            found += [(node.lineno, a.name) for a in node.names if _is_private(a.name)]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("setattr",
                                                                             "delattr") \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and _is_private(node.args[1].value):
            found.append((node.lineno, node.args[1].value))
    return found


def violations(*, pending: bool = False) -> list[str]:
    """``path:line: _name (owned by ...)`` for each access of another package's private
    (with ``pending``, those in :data:`PENDING` too)."""
    owners = private_definitions()
    own_helpers: dict[Path, set[str]] = {}
    out = []
    for path in sorted(TESTS.rglob("test_*.py")) + sorted(TESTS.rglob("conftest.py")):
        tree = ast.parse(path.read_text(), str(path))
        # a private name the test module (or its package's conftest) defines is its own
        own_helpers[path] = {n.name for n in ast.walk(tree)
                             if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
            t.id for n in ast.walk(tree) if isinstance(n, ast.Assign)
            for t in n.targets if isinstance(t, ast.Name)}
        tested = _under_test(path)
        for line, name in accesses(path):
            if name in own_helpers[path]:
                continue
            by = owners.get(name, set())
            if by & tested or (not by and name in THIRD_PARTY):
                continue
            what = ", ".join(sorted(by)) if by else "not embedviz"
            if not pending and (str(path.relative_to(ROOT)), name) in PENDING:
                continue
            out.append(f"{path.relative_to(ROOT)}:{line}: {name} (owned by {what})")
    return out


def test_no_test_reads_another_packages_private_names() -> None:
    found = violations()
    assert not found, ("tests read private names of other packages; use or add public API:\n  "
                       + "\n  ".join(found))


def test_every_pending_access_still_exists() -> None:
    seen = {(line.split(":")[0], line.split(": ")[1].split(" ")[0])
            for line in violations(pending=True)}
    gone = [key for key in PENDING if key not in seen]
    assert not gone, f"fixed, so drop them from PENDING: {gone}"


if __name__ == "__main__":
    listed = violations(pending=True)
    print("\n".join(listed))
    print(f"{len(listed)} access(es)", file=sys.stderr)
