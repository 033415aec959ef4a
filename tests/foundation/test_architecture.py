"""The shape of the code base: what the running service loads and which way its packages depend."""

import ast
import subprocess
import sys
from pathlib import Path

from app import domain_packages

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_seeder_is_tooling_the_service_never_loads():
    assert "bench_seed" not in domain_packages()
    probe = (
        "import sys\n"
        "from app import create_app\n"
        "create_app('testing', {'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print(sorted(name for name in sys.modules if name == 'bench' or name.startswith(('bench.', 'app.bench'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _modules():
    """{module name: path} of every module under app/."""
    modules = {}
    for path in (ROOT / "app").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph():
    """{module: modules of app/ it imports}, counting imports inside functions too: a deferred import
    only hides a circle until someone moves it up. (A package's own __init__ importing its modules is
    the one allowed way round, so a module's import of its package is not counted.)"""
    modules = _modules()

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(resolve(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.update(resolve(f"{node.module}.{alias.name}") for alias in node.names)
        graph[module] = {name for name in imported if name and name != module}
    return graph


def import_circles(graph):
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_module_of_app_imports_itself_through_others():
    assert import_circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle_hidden_in_a_function():
    graph = {"app.a.services": {"app.a.vehicles"}, "app.a.vehicles": {"app.a.services"}, "app.b": set()}
    assert import_circles(graph) == [["app.a.services", "app.a.vehicles"]]


def test_the_import_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "app.merchant.services" in graph["app.members.counter_lookup"]
    assert "app.cli" in graph["app"]  # the factory's import inside register_commands


def test_app_common_imports_no_domain():
    domains = tuple(f"app.{name}" for name in domain_packages())
    offending = {
        module: sorted(target for target in targets if target == "app" or target.startswith(domains))
        for module, targets in import_graph().items()
        if module.startswith("app.common")
    }
    assert {module: targets for module, targets in offending.items() if targets} == {}


def test_what_settling_sets_off_in_other_domains_is_subscribed_in_one_module(app):
    from app.common import events

    subscribed = {
        name: [f"{handler.__module__}.{handler.__name__}" for handler in handlers]
        for name, handlers in events._handlers.items()
        if handlers
    }
    assert subscribed == {
        events.WORK_ORDER_SETTLED: ["app.consequences.work_order_settled"],
        events.WORK_ORDER_REFUNDED: ["app.consequences.work_order_refunded"],
        events.REFERRAL_CODE_PRESENTED: ["app.consequences.referral_code_presented"],
    }
    subscribers = sorted(
        module
        for module, path in _modules().items()
        if "events.subscribe(" in path.read_text(encoding="utf-8") and module != "app.common.events"
    )
    assert subscribers == ["app.consequences"]
