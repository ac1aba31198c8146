"""The house's layers, read from the source with `ast`: models ← services ← pages / cli / bench, no cycles,
and pages that render what services decide."""

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("models", "services", "app_pages", "bench", "migrations")
TOP_MODULES = ("app", "server", "cli")
PAGE_LAYER = ("app_pages", "app", "server")
# Who may import whom (the first part of the imported module's name); anything not listed is refused.
ALLOWED = {
    "models": {"models"},
    "services": {"models", "services"},
    "migrations": {"models", "services"},
    "app_pages": {"services", "app_pages"},
    "app": {"services", "app_pages"},
    "server": {"services"},
    "cli": {"models", "services", "bench"},
    "bench": {"models", "services", "bench", "tests"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    for name in TOP_MODULES:
        found[name] = ROOT / f"{name}.py"
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports (at any depth but under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = {
        id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node) for n in ast.walk(node)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n in known}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def test_no_import_runs_against_the_layers():
    wrong = []
    for name, imported in _graph().items():
        layer = name.split(".")[0]
        for target in imported:
            if target.split(".")[0] not in ALLOWED[layer]:
                wrong.append(f"{name} imports {target}")
    assert sorted(wrong) == []


def test_the_project_imports_have_no_cycle():
    """Lazy imports inside functions count too: they hide a cycle, they do not remove it."""
    graph = _graph()
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_pages_decide_nothing_by_a_persons_name_an_options_label_or_a_role():
    comparisons = re.compile(r"(full_name|\.label|\.role|\brole\b)\s*(==|!=|\bin\b|\bnot in\b)")
    found = []
    for path in [*(ROOT / "app_pages").rglob("*.py"), ROOT / "app.py"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if comparisons.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


# What only services touch: the database driver and SQL, e-mail delivery.
SERVICE_ONLY = ("sqlalchemy", "sqlite3", "psycopg", "smtplib", "yagmail", "imaplib")


def test_pages_reach_the_database_and_mail_only_through_services():
    """The page layer (app_pages/, app.py, server.py) imports no driver, no SQL toolkit and no mail library,
    not even for a type: it asks services, whose units of work it opens through services.db."""
    wrong = []
    for name, path in _modules().items():
        if name.split(".")[0] not in PAGE_LAYER:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found = [node.module]
            else:
                continue
            wrong += [f"{name} imports {f}" for f in found if f.split(".")[0] in SERVICE_ONLY]
    assert sorted(wrong) == []
