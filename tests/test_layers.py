"""The package's layers import only downwards: maths -> metrics -> nets, data -> modules -> run ->
report. A module that imports a higher layer, or a lower layer that imports Lightning or Hydra, fails
here, as does a seventh module at the top of the package."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "infocam_lit"
LAYERS = {"maths": 0, "metrics": 1, "nets": 2, "data": 2, "modules": 3, "run": 4, "report": 5}
# third-party frameworks a layer must not know about
FORBIDDEN = {
    "maths": ("pytorch_lightning", "lightning", "hydra", "omegaconf", "torchmetrics"),
    "metrics": ("pytorch_lightning", "lightning", "hydra", "omegaconf"),
    "nets": ("pytorch_lightning", "lightning", "hydra", "omegaconf", "torchmetrics"),
}
TOP_LEVEL_MODULES_AT_MOST = 6


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


def test_few_modules_at_the_top_of_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= TOP_LEVEL_MODULES_AT_MOST, top
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__"))
    assert folders == sorted(LAYERS), f"every subpackage is a layer: {folders}"


def test_the_python_api_readme_documents_keeps_its_names():
    """README's names (from before the layers) are the layers' objects, not copies."""
    from infocam_lit import boxes, cam, localization_metrics
    from infocam_lit.maths import boxes as maths_boxes
    from infocam_lit.maths import cam as maths_cam
    from infocam_lit.metrics import localization

    assert cam.compute_maps is maths_cam.compute_maps
    assert boxes.boxes_from_maps is maths_boxes.boxes_from_maps and boxes.box_iou is maths_boxes.box_iou
    assert localization_metrics.LocalizationAccuracy is localization.LocalizationAccuracy
    assert localization_metrics.MaxBoxAccV2 is localization.MaxBoxAccV2
