"""The package's layers import only downwards: maths -> metrics -> nets, data -> modules -> run ->
report. A module that imports a higher layer, or a lower layer that imports Lightning or Hydra, fails
here, as does any module at the top of the package beside its face, __init__.py."""

import ast
import importlib
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

PACKAGE = ROOT / "infocam_lit"
LAYERS = {"maths": 0, "metrics": 1, "nets": 2, "data": 2, "modules": 3, "run": 4, "report": 5}
# third-party frameworks a layer must not know about
FORBIDDEN = {
    "maths": ("pytorch_lightning", "lightning", "hydra", "omegaconf", "torchmetrics"),
    "metrics": ("pytorch_lightning", "lightning", "hydra", "omegaconf"),
    "nets": ("pytorch_lightning", "lightning", "hydra", "omegaconf", "torchmetrics"),
}
# Python runs the package's __init__.py before any of its layers, so the layers the face imports load
# wherever the package is used: only these two, which know neither Lightning nor Hydra.
FACE = PACKAGE / "__init__.py"
FACE_LAYERS = ("maths", "metrics")
PUBLIC_API = {
    "compute_maps": "maths.cam", "region_sum": "maths.cam", "upsampled_maps": "maths.cam",
    "boxes_from_maps": "maths.boxes", "box_iou": "maths.boxes", "normalize_maps": "maths.boxes",
    "knn_mi": "maths.knn_mi", "LocalizationAccuracy": "metrics.localization", "MaxBoxAccV2": "metrics.localization",
    **{name: "maths.mi_readout" for name in ("pmi_pc_softmax", "pmi_softmax_log_m", "pmi_prior_corrected",
                                             "pmi_logit_adjusted", "prior_free_scores", "pmi_under_prior",
                                             "pmi_for_loss")},
}


def imported_modules(path: Path) -> list[str]:
    """Every absolute module name a file imports, at any depth (lazy imports in functions included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            # `from infocam_lit import report` names a subpackage
            if node.module == "infocam_lit":
                names += [f"infocam_lit.{alias.name}" for alias in node.names]
    return names


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "infocam_lit" and len(parts) > 1 and parts[1] in LAYERS else None


def layered_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer in LAYERS:
            yield layer, path


@pytest.mark.parametrize("layer,path", list(layered_files()), ids=lambda v: str(v).split("infocam_lit/")[-1])
def test_a_layer_imports_only_its_own_and_lower_layers(layer, path):
    for module in imported_modules(path):
        target = layer_of(module)
        if target is not None:
            assert LAYERS[target] <= LAYERS[layer], f"{path.relative_to(PACKAGE)} ({layer}) imports {module} ({target})"
        root = module.split(".")[0]
        assert root not in FORBIDDEN.get(layer, ()), f"{path.relative_to(PACKAGE)} ({layer}) imports {module}"


def test_the_check_catches_an_upward_import(tmp_path):
    """The walk above sees imports inside functions too, so the test can fail."""
    source = tmp_path / "lazy.py"
    source.write_text("def f():\n    from infocam_lit.run.figures import plot\n")
    assert [layer_of(m) for m in imported_modules(source)] == ["run"]


def test_the_package_face_imports_only_the_lowest_layers():
    imported = imported_modules(FACE)
    assert any(layer_of(module) for module in imported), "the face imports the public API from its layers"
    for module in imported:
        assert module.startswith("infocam_lit.") and layer_of(module) in FACE_LAYERS, (
            f"infocam_lit/__init__.py imports {module}")


def test_only_the_face_sits_at_the_top_of_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py"], top
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert folders == sorted(LAYERS), f"every subpackage is a layer: {folders}"


def test_the_public_api_is_the_layers_objects():
    """`from infocam_lit import ...` gives the objects of the layer modules, not copies, and lists them all."""
    import infocam_lit

    for name, module in PUBLIC_API.items():
        assert getattr(infocam_lit, name) is getattr(importlib.import_module(f"infocam_lit.{module}"), name), name
    assert set(infocam_lit.__all__) == set(PUBLIC_API)


# ----------------------------------------------------------------------------- no import cycles
def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(files: list[Path], root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the package modules it imports, at any depth (lazy imports included), with the packages whose
    __init__ such an import runs first; a module's own ancestors are left out (Python runs them before it)."""
    modules = {module_name(path, root): path for path in files}

    def known(name: str) -> str | None:  # `from a.b import c` names module a.b.c, or an object of a.b
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        own_ancestors = {module.rsplit(".", k)[0] for k in range(1, module.count(".") + 1)}
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                target = known(name)
                while target and target != module and target not in own_ancestors:
                    edges.add(target)
                    target = known(target.rpartition(".")[0])
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a cycle of imports."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others():
    assert cycles(import_graph(sorted(PACKAGE.rglob("*.py")))) == []


def test_the_cycle_check_sees_a_cycle_closed_inside_a_function(tmp_path):
    package = tmp_path / "infocam_lit" / "run"
    package.mkdir(parents=True)
    (package / "a.py").write_text("from infocam_lit.run.b import f\n")
    (package / "b.py").write_text("def f():\n    from infocam_lit.run.a import g\n")
    graph = import_graph(sorted(package.glob("*.py")), root=tmp_path)
    assert cycles(graph) == [["infocam_lit.run.a", "infocam_lit.run.b"]]


def test_no_function_is_longer_than_fifty_lines():
    """Short functions that each say one thing: a longer one is split (a helper per step)."""
    long = [f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in sorted(PACKAGE.rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 50]
    assert long == []
