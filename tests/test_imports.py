"""Layers import downward only, without cycles, and light modules stay light.

Each module is imported in a fresh interpreter and the heavy libraries it pulled in are read from
``sys.modules``: a module that only shapes results must not load FAISS, onnxruntime or
matplotlib (``import imagededup.groups`` took 325 ms for FAISS alone).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import imagededup

PACKAGE = Path(imagededup.__file__).resolve().parent
HEAVY = ("faiss", "onnxruntime", "openvino", "matplotlib", "torch", "ray", "pyarrow")

# Lower layers first: a module may import its own layer or those before it, never a later one.
LAYERS = [
    {
        "imagededup",
        "imagededup._lazy",
        "imagededup.vectors",
        "imagededup.heap",
        "imagededup.display",
        "imagededup.jsonfile",
        "imagededup.validation",  # argument checks: NumPy and vectors only, for every layer
    },
    {"imagededup.images"},
    {"imagededup.models", "imagededup.hashes", "imagededup.store", "imagededup.features"},
    {
        "imagededup.search",
        "imagededup.results",
        "imagededup.groups",
        "imagededup.keep",
        "imagededup.index",
    },
    {
        "imagededup.methods",
        "imagededup.evaluation",
        "imagededup.report",
        "imagededup.utils",
        "imagededup.actions",
        "imagededup.scan",
        "imagededup.decisions",
    },
    {"imagededup.distributed", "imagededup.cli", "imagededup.__main__"},
]

# What each module may load at import time (every module not listed: nothing heavy).
ALLOWED = {
    "imagededup.search": {"faiss"},
    "imagededup.index": {"faiss"},
    "imagededup.methods.hashing": {"faiss"},
    "imagededup.models": {"onnxruntime", "openvino"},
    "imagededup.methods.cnn": {"faiss", "onnxruntime", "openvino"},
    "imagededup.utils": {"matplotlib"},
    "imagededup.report": {"matplotlib"},
    "imagededup.evaluation": {"faiss"},
    "imagededup.distributed": set(HEAVY) - {"torch"},
    "imagededup.cli": {"faiss", "onnxruntime", "openvino", "matplotlib"},
    "imagededup.__main__": {"faiss", "onnxruntime", "openvino", "matplotlib"},
}


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = frozenset(module_names())


def owner(name: str, table: dict | list) -> object:
    """The entry of ``table`` for ``name``'s longest dotted prefix."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if isinstance(table, dict) and prefix in table:
            return table[prefix]
        if isinstance(table, list):
            for rank, layer in enumerate(table):
                if prefix in layer:
                    return rank
    return set() if isinstance(table, dict) else None


def module_imports(name: str) -> set[str]:
    """imagededup modules that ``name`` imports when it is loaded (not under TYPE_CHECKING)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("imagededup")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("imagededup"):
            for alias in node.names:  # ``from package import submodule`` imports the submodule
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found - {name}


def test_layers_import_downward_only():
    upward = []
    for name in module_names():
        rank = owner(name, LAYERS)
        assert rank is not None, f"{name} has no layer in LAYERS"
        for imported in module_imports(name):
            if owner(imported, LAYERS) > rank:
                upward.append(f"{name} -> {imported}")
    assert upward == []


def test_no_import_cycles():
    graph = {name: module_imports(name) & MODULES for name in module_names()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert cycles == []


def heavy_imports(names: list[str]) -> dict[str, list[str]]:
    """``{module: heavy libraries loaded}``, each module imported in its own fresh interpreter."""
    script = (
        "import importlib, json, sys\n"
        "importlib.import_module(sys.argv[1])\n"
        f"print(json.dumps([h for h in {HEAVY!r} if h in sys.modules]))\n"
    )
    found = {}
    for name in names:
        done = subprocess.run(
            [sys.executable, "-c", script, name], capture_output=True, text=True, check=True
        )
        found[name] = json.loads(done.stdout)
    return found


LIGHT = [
    "imagededup.groups",
    "imagededup.results",
    "imagededup.scan",
    "imagededup.validation",
    "imagededup.store",
    "imagededup.search.pairs",
    "imagededup.hashes",
    "imagededup.methods",
    "imagededup.methods.base",
    "imagededup.methods.hashing",
    "imagededup.evaluation",
]


def test_light_modules_load_only_the_heavy_libraries_they_need():
    loaded = heavy_imports(LIGHT)
    assert loaded["imagededup.groups"] == []  # FAISS alone took 325 ms here
    extra = {n: sorted(set(libs) - owner(n, ALLOWED)) for n, libs in loaded.items()}
    assert {n: libs for n, libs in extra.items() if libs} == {}
