"""Count assertions that compare a whole English sentence (``== "..."`` or ``"..." in x``).

Usage: python .ci/sentence_asserts.py [tests-folder] [-v]

A sentence here is a string literal of at least five words; an assertion that compares one
with ``==``, ``!=``, ``in`` or ``not in`` pins the wording rather than the meaning.
"""
from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

MIN_WORDS = 5


def _sentence(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and len(node.value.split()) >= MIN_WORDS)


def sentence_asserts(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Assert):
            continue
        for cmp in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            ops = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
            if any(isinstance(op, ops) for op in cmp.ops) and any(
                    _sentence(x) for x in [cmp.left, *cmp.comparators]):
                lines.append(node.lineno)
                break
    return lines


if __name__ == "__main__":
    root = Path(next((a for a in sys.argv[1:] if not a.startswith("-")), "tests"))
    per: Counter[str] = Counter()
    for path in sorted(root.rglob("test_*.py")):
        found = sentence_asserts(path)
        if found:
            per[str(path.parent.relative_to(root.parent))] += len(found)
            if "-v" in sys.argv:
                print(f"{path}: lines {found}")
    for folder, count in sorted(per.items()):
        print(f"{folder:20} {count}")
    print(f"{'total':20} {sum(per.values())}")
