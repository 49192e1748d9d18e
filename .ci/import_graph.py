"""Print the import edges between embedviz's top-level modules and subpackages.

Usage: python .ci/import_graph.py [root]   (root defaults to ./embedviz)

A node is a subpackage (``compute``, ``labels`` ...) or a top-level module
(``cache``, ``settings`` ...); an edge ``a -> b`` means some file of ``a`` imports
something of ``b`` (at module level or inside a function).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path


def node_of(parts: tuple[str, ...]) -> str:
    if len(parts) <= 1 or parts[1] == "__init__.py":
        return "embedviz"
    name = parts[1]
    return name[:-3] if name.endswith(".py") else name


def main(root: Path) -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        src = node_of(rel.parts)
        pkg = list(rel.parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg[: len(pkg) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                if mod.count(".") == 0:
                    targets = [f"{mod}.{a.name}" for a in node.names]
                else:
                    targets = [mod]
            for t in targets:
                parts = t.split(".")
                if parts[0] != "embedviz" or len(parts) < 2:
                    continue
                dst = parts[1]
                if (root / f"{dst}.py").exists() or (root / dst).is_dir():
                    if dst != src:
                        edges[src].add(dst)
    for src in sorted(edges):
        print(f"{src:12} -> {', '.join(sorted(edges[src]))}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "embedviz"))
