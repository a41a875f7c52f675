"""The package's layers depend one way: errors -> core -> codecs -> adapters -> cli, examples.

Every module of ``framing`` is read (not imported) and each of its imports of
``framing`` itself must name a layer at or below its own. Codecs and the core
are sans-I/O: they never import ``socket``, ``selectors`` or ``asyncio``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "framing"

# A module's layer is that of the first entry its dotted name starts with.
LAYERS = [
    ("framing.errors", 0),
    ("framing.core", 1),
    ("framing.codecs", 2),
    ("framing.socket", 3),
    ("framing.aio", 3),
    ("framing.anyio", 3),
    ("framing.adapters", 3),
    ("framing.testing", 3),
    ("framing.cli", 4),
    ("framing.examples", 4),
    ("framing.__main__", 4),
    ("framing", 5),  # the package's __init__: re-exports every layer
]
IO_MODULES = {"socket", "selectors", "asyncio", "socketserver", "ssl", "anyio", "trio"}


def layer_of(module: str) -> int:
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} is in no layer")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[str]:
    """The absolute names of the modules ``path`` imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.append(target)
            if target == "framing":  # ``from framing import aio``: a module, or a re-export
                names += [
                    f"framing.{alias.name}"
                    for alias in node.names
                    if (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").exists()
                ]
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer() -> None:
    assert len(MODULES) > 20
    for path in MODULES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_imports_point_down_the_layers(path: Path) -> None:
    name = module_name(path)
    own = layer_of(name)
    # The package root re-exports every layer: only the top layer may import it.
    upward = [
        target
        for target in imports_of(path)
        if target.startswith("framing")
        and layer_of(target) > own
        and (target != "framing" or own < layer_of("framing.cli"))
    ]
    assert not upward, f"{name} (layer {own}) imports from a higher layer: {upward}"


@pytest.mark.parametrize(
    "path",
    [path for path in MODULES if layer_of(module_name(path)) <= 2],
    ids=lambda path: module_name(path),
)
def test_the_core_and_the_codecs_do_no_io(path: Path) -> None:
    io = {target for target in imports_of(path) if target.split(".")[0] in IO_MODULES}
    assert not io, f"{module_name(path)} imports {sorted(io)}"


def test_a_module_importing_upwards_is_caught(tmp_path: Path) -> None:
    # The check itself can fail: a core module importing a codec is flagged.
    core = tmp_path / "framing" / "core"
    core.mkdir(parents=True)
    bad = core / "bad.py"
    bad.write_text("from ..codecs.lines import Lines\nimport socket\n")
    names = [
        target
        for target in imports_of_at(bad, tmp_path / "framing")
        if target.startswith("framing")
    ]
    assert names == ["framing.codecs.lines"]
    assert layer_of(names[0]) > layer_of("framing.core.bad")


def imports_of_at(path: Path, package: Path) -> list[str]:
    global PACKAGE
    saved, PACKAGE = PACKAGE, package
    try:
        return imports_of(path)
    finally:
        PACKAGE = saved
