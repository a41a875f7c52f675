"""The published artefacts: the sdist and the wheel build, hold what they should, pass
``twine check``, and the wheel installed into a fresh virtual environment runs.

Slow (a build, and a venv with the runtime dependencies from the package
index): ``pytest -m "not slow"`` leaves them out; CI runs them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=480,
    )
    return out


def only(directory: Path, pattern: str) -> Path:
    [path] = directory.glob(pattern)
    return path


def test_the_wheel_holds_the_package_and_nothing_else(dist: Path) -> None:
    # A platform wheel on the stable ABI: one file serves Python 3.10 on.
    assert re.fullmatch(r"framing_codecs-0\.1\.0-cp310-abi3-\w+\.whl", only(dist, "*.whl").name)
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith("METADATA"))).decode()
    top = {name.split("/")[0] for name in names}
    assert top == {"framing", "framing_codecs-0.1.0.dist-info"}
    assert "framing/py.typed" in names
    assert "framing/examples/length_prefixed.py" in names
    assert "framing/adapters/anyio_stream.py" in names
    assert "framing/_speedups.abi3.so" in names  # the compiled core
    assert "framing/_speedups.c" not in names  # its source is the sdist's
    assert "framing_codecs-0.1.0.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if "/tests/" in n or n.startswith(("tests/", "fuzz/", "bench/"))]
    assert not [n for n in names if n.endswith(".pyc")]
    assert "Name: framing-codecs" in metadata
    assert "License-Expression: MIT" in metadata
    assert "Requires-Python: >=3.10" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Project-URL: Changelog," in metadata
    assert "Provides-Extra: anyio" in metadata


def test_the_sdist_holds_the_sources_and_the_license(dist: Path) -> None:
    with tarfile.open(only(dist, "*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "LICENSE", "framing/__init__.py"} <= names
    assert {"setup.py", "framing/_speedups.c"} <= names
    assert not [name for name in names if name.endswith(".so")]


def test_twine_accepts_both(dist: Path) -> None:
    pytest.importorskip("twine")
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_links_work_off_the_repository() -> None:
    # The README is the index page: a relative link there leads nowhere.
    targets = re.findall(r"\]\(([^)]*)\)", (ROOT / "README.md").read_text())
    assert targets
    assert [t for t in targets if not t.startswith(("https://", "#"))] == []


def test_the_wheel_installs_and_runs_in_a_fresh_environment(
    dist: Path, tmp_path: Path
) -> None:
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(only(dist, "*.whl"))],
        check=True,
        capture_output=True,
        timeout=300,
    )
    quick_start = (
        "import framing\n"
        "codec = framing.LengthPrefixed('!I')\n"
        "decoder = codec.decoder()\n"
        "wire = codec.encode(b'hello') + codec.encode(b'world')\n"
        "messages = []\n"
        "for i in range(len(wire)):\n"
        "    decoder.feed(wire[i:i + 1])\n"
        "    messages += list(decoder)\n"
        "print(messages)\n"
    )
    result = subprocess.run(
        [str(python), "-c", quick_start], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.stdout.strip() == "[b'hello', b'world']", result.stderr
    compiled = subprocess.run(
        [str(python), "-c", "import framing; print(framing.__compiled__)"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert compiled.stdout.strip() == "True", compiled.stderr
    demo = subprocess.run(
        [str(env / "bin" / "framing"), "demo"], capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "round-tripped" in demo.stdout


def _fresh_python(tmp_path: Path) -> Path:
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    return env / "bin" / "python"


def test_without_a_compiler_the_sdist_installs_as_pure_python(dist: Path, tmp_path: Path) -> None:
    python = _fresh_python(tmp_path)
    # CC=false: every compiler call fails, as on a machine without one.
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-v", str(only(dist, "*.tar.gz"))],
        capture_output=True, text=True, timeout=480,
        env={**_base_env(), "CC": "false", "LDSHARED": "false"},
    )  # fmt: skip
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert "framing: the compiled core was not built" in install.stdout + install.stderr
    check = subprocess.run(
        [str(python), "-c", "import framing; print(framing.__compiled__, "
         "framing.LengthPrefixed().decode(framing.LengthPrefixed().encode(b'ok')))"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert check.stdout.strip() == "False [b'ok']", check.stderr


def test_without_a_compiler_the_wheel_built_is_the_pure_wheel(tmp_path: Path) -> None:
    # Not an abi3 platform wheel that holds no extension (what pip would
    # cache), nor one holding the extension an earlier build of the same tree
    # left in its build directory (built from other sources, maybe).
    pytest.importorskip("build")
    tree = tmp_path / "tree"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    for name in files:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)

    def wheel(outdir: Path, **env: str) -> Path:
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(tree)],
            check=True, capture_output=True, timeout=480, env={**_base_env(), **env},
        )  # fmt: skip
        return only(outdir, "*.whl")

    assert "-abi3-" in wheel(tmp_path / "compiled").name  # leaves tree/build/.../_speedups*.so
    (tree / "framing" / "_speedups.c").touch()
    pure = wheel(tmp_path / "pure", CC="false", LDSHARED="false")
    assert pure.name == "framing_codecs-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(pure) as archive:
        names = archive.namelist()
    assert "framing/core/buffer.py" in names  # at the root, not under .data/platlib
    assert not [name for name in names if name.endswith(".so")]


def test_framing_no_extensions_builds_the_pure_wheel(tmp_path: Path) -> None:
    pytest.importorskip("build")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=480,
        env={**_base_env(), "FRAMING_NO_EXTENSIONS": "1"},
    )  # fmt: skip
    wheel = only(tmp_path, "*.whl")
    assert wheel.name == "framing_codecs-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        assert not [name for name in archive.namelist() if name.endswith(".so")]


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)
