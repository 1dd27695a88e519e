"""The import picture: project imports at module level only, arrows only downward, no cycle.

Layers, bottom to top:
  0 model       bisenetv2_tf (layers, blocks, models, QAT transform, checkpoints, compat)
  1 data        bisenetv2_tf.data
  2 runtime     bisenetv2_tf.runtime
  3 evaluation  bisenetv2_tf.evaluation
  4 training, tflite   (never import each other)
  5 scripts     benchmarks, bisenetv2_tf.summary, bisenetv2_tf.import_torch, bisenetv2_tf.console,
                tflite.quickstart
                (nothing imports them)
A module may import its own layer's package and any lower layer.

Project imports sit at module level, with one exception: a command's front module (the
module a ``bisenetv2`` verb or ``python -m`` runs) imports its TensorFlow-heavy
implementation inside ``main``, after parsing, so that ``--help`` answers without loading
TensorFlow. Those imports still count for the arrows and the cycle check.
"""
import ast
from pathlib import Path

from conftest import REPO

PACKAGES = ("bisenetv2_tf", "training", "tflite", "benchmarks")
SCRIPTS = ("bisenetv2_tf.summary", "bisenetv2_tf.import_torch", "bisenetv2_tf.console", "tflite.quickstart")


def front_modules():
    """The modules the ``bisenetv2`` verbs run (read from the console's table, not a copy)."""
    from bisenetv2_tf.console import VERBS

    return {module for module, _ in VERBS.values()}


def layer(module):
    """(rank, group) of a project module; a group may import only itself and lower ranks."""
    if module in SCRIPTS or module.startswith("benchmarks"):
        return 5, "scripts"
    for rank, sub in ((1, "data"), (2, "runtime"), (3, "evaluation")):
        if module.startswith(f"bisenetv2_tf.{sub}"):
            return rank, sub
    top = module.split(".")[0]
    if top in ("training", "tflite"):
        return 4, top
    return 0, "model"


def module_name(path):
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def project_imports():
    """{module: [(imported module, line, at module level)]} for every project module."""
    found = {}
    for top in PACKAGES:
        for path in sorted((REPO / top).rglob("*.py")):
            mod = module_name(path)
            tree = ast.parse(path.read_text(), str(path))
            top_level = set(map(id, tree.body))
            if mod in front_modules():  # imports inside main() count as the front's own
                top_level |= {id(n) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "main"
                              for n in ast.walk(f)}
            edges = []
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] in PACKAGES:
                        edges.append((name, node.lineno, id(node) in top_level))
            found[mod] = edges
    return found


def resolve(name, modules):
    """The project module an import names (``from pkg import mod`` names the package)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def test_project_imports_are_at_module_level():
    lazy = [f"{mod}:{line} imports {name}" for mod, edges in project_imports().items()
            for name, line, top in edges if not top]
    assert not lazy, "imports inside functions hide the picture:\n" + "\n".join(lazy)


def test_arrows_point_only_downward():
    imports = project_imports()
    wrong = []
    for mod, edges in imports.items():
        rank, group = layer(mod)
        for name, line, _ in edges:
            target = resolve(name, imports)
            t_rank, t_group = layer(target)
            if target == "bisenetv2_tf":  # the package itself: env setup and model API
                continue
            if t_rank > rank or (t_rank == rank and t_group != group):
                wrong.append(f"{mod}:{line} ({group}) imports {target} ({t_group})")
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_scripts_from_outside_scripts():
    imports = project_imports()
    users = [f"{mod} imports {resolve(n, imports)}" for mod, edges in imports.items() for n, _, _ in edges
             if layer(resolve(n, imports))[1] == "scripts" and layer(mod)[1] != "scripts"]
    assert not users, users


def test_no_import_cycle():
    imports = project_imports()
    graph = {mod: {resolve(n, imports) for n, _, _ in edges} - {mod} for mod, edges in imports.items()}
    state, stack = {}, []

    def visit(mod):
        state[mod] = "open"
        stack.append(mod)
        for nxt in sorted(graph.get(mod, ())):
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[mod] = "done"

    for mod in sorted(graph):
        if mod not in state:
            visit(mod)


def test_no_module_imports_another_modules_private_names():
    private = []
    for top in PACKAGES:
        for path in sorted((REPO / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
                    private += [f"{module_name(path)} imports {node.module}.{a.name}" for a in node.names
                                if a.name.startswith("_")]
    assert not private, private


def test_layers_cover_the_moved_modules():
    """The check sees the real tree (guards against an empty glob passing silently)."""
    imports = project_imports()
    assert layer("bisenetv2_tf.runtime.metadata") == (2, "runtime")
    for mod in ("bisenetv2_tf.data.datasets", "bisenetv2_tf.runtime.predictors", "bisenetv2_tf.evaluation.evaluate",
                "bisenetv2_tf.qat", "training.train", "tflite.convert", "benchmarks.benchmark"):
        assert mod in imports, mod
