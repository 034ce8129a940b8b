"""Keep the code a notebook teaches and the package's copy of it identical.

A notebook defines the code its talk teaches in its own cells, whole and editable: a learner
changes the loss and reruns. When other code needs the same definitions (another notebook, a
benchmark, the unit tests), the package keeps an identical copy, and the notebook cell names the
module on its first line::

    #| bind: course_utils.weighted_trainer

A bound cell holds imports and definitions only (functions, classes, assignments to names). Each
name it defines must be defined in the module with the same code, compared as parsed Python:
comments, blank lines, quotes, line breaks and docstrings may differ, nothing else. The module
may define more than the cell.

Imports only the standard library and reads files; nothing is executed. Used by
tests/test_notebook_bindings.py for every notebook under notebooks/ (01 first).
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

#: The first line of a bound cell: ``#| bind: package.module``.
BIND_MARKER = re.compile(r"^#\|\s*bind:\s*(?P<module>[A-Za-z_][\w.]*)\s*$")

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


@dataclass(frozen=True)
class BoundCell:
    """A notebook cell whose definitions the package keeps a copy of, in ``module``."""

    notebook: Path
    index: int
    module: str
    source: str

    @property
    def where(self) -> str:
        """``notebooks/01_x.ipynb, cell 31`` (the cell's position among all cells, from 0)."""
        return f"{self.notebook.name}, cell {self.index}"


def bound_cells(notebook: Path) -> list[BoundCell]:
    """The code cells of ``notebook`` whose first line is a ``#| bind: module`` marker."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        match = BIND_MARKER.match(source.split("\n", 1)[0])
        if match:
            found.append(BoundCell(Path(notebook), index, match["module"], source))
    return found


def module_file(module: str) -> Path:
    """The source file of ``module``, found without importing the module itself."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise ValueError(f"The bind marker names {module!r}, which is not a Python module of the package.")
    return Path(spec.origin)


def defined_names(tree: ast.Module) -> dict[str, ast.stmt]:
    """Top-level definitions of a parsed module or cell, by name (the last one wins, as in Python)."""
    names: dict[str, ast.stmt] = {}
    for node in tree.body:
        for name in _names_of(node):
            names[name] = node
    return names


def normalized(node: ast.AST) -> str:
    """``ast.dump`` of a definition without its docstrings (and without line numbers)."""
    return ast.dump(_without_docstrings(node))


def readable(node: ast.AST) -> str:
    """The definition as code, docstrings removed: what the comparison looks at."""
    return ast.unparse(_without_docstrings(node))


def drift(cell: BoundCell) -> list[str]:
    """What differs between a bound cell and its module, one sentence (and a diff) per problem.

    An empty list means the cell and the module define the same code.
    """
    try:
        cell_tree = ast.parse(cell.source)
    except SyntaxError as error:
        return [f"{cell.where}: the bound cell is not plain Python ({error.msg}, line {error.lineno})."]
    problems = []
    others = [node for node in cell_tree.body if not isinstance(node, (ast.Import, ast.ImportFrom, *_DEFINITIONS))]
    others += [node for node in cell_tree.body if isinstance(node, (ast.Assign, ast.AnnAssign)) and not _names_of(node)]
    if others:
        lines = ", ".join(str(node.lineno) for node in others)
        problems.append(
            f"{cell.where}: a bound cell holds imports and definitions only; move the statement(s) on "
            f"line {lines} to another cell."
        )
    ours = defined_names(cell_tree)
    if not ours:
        problems.append(f"{cell.where}: the cell is bound to {cell.module} but defines nothing.")
    try:
        path = module_file(cell.module)
    except ValueError as error:
        return [*problems, f"{cell.where}: {error}"]
    theirs = defined_names(ast.parse(path.read_text(encoding="utf-8")))
    for name, node in ours.items():
        if name not in theirs:
            problems.append(f"{cell.where}: {name} is defined in the notebook but not in {cell.module} ({path.name}).")
        elif normalized(node) != normalized(theirs[name]):
            diff = difflib.unified_diff(
                readable(theirs[name]).splitlines(),
                readable(node).splitlines(),
                fromfile=f"{cell.module} ({path.name})",
                tofile=cell.where,
                lineterm="",
            )
            problems.append(
                f"{cell.where}: {name} differs from its copy in {cell.module}; make the two identical "
                "(or, if you changed it on purpose to experiment, ignore this until you are done):\n"
                + "\n".join(diff)
            )
    return problems


def check_notebook(notebook: Path) -> list[str]:
    """Every problem of every bound cell of ``notebook`` (empty when all match)."""
    return [problem for cell in bound_cells(notebook) for problem in drift(cell)]


def _names_of(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign) and all(isinstance(target, ast.Name) for target in node.targets):
        return [target.id for target in node.targets]  # type: ignore[attr-defined]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _without_docstrings(node: ast.AST) -> ast.AST:
    copy = ast.parse(ast.unparse(node))  # a detached copy, so the caller's tree stays as it was
    for inner in ast.walk(copy):
        if isinstance(inner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = inner.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                inner.body = body[1:] or [ast.Pass()]
    return copy.body[0] if len(copy.body) == 1 else copy
