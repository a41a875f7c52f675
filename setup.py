"""The optional compiled core: built when a C compiler is at hand, skipped when not.

Everything else about the package is in pyproject.toml. ``framing._speedups``
(``framing/_speedups.c``, the stable ABI, so one wheel serves Python 3.10 on)
is built by ``pip install .`` on a machine with a C compiler and the Python
headers; without them, or with ``FRAMING_NO_EXTENSIONS=1``, the install is
pure Python and says so in one line. ``framing.__compiled__`` tells which.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PURE = os.environ.get("FRAMING_NO_EXTENSIONS", "") not in ("", "0")


class OptionalBuildExt(build_ext):
    """``build_ext`` that falls back to pure Python when the extension cannot be built."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:
            self._fall_back(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            self._fall_back(error)

    def _fall_back(self, error: BaseException) -> None:
        print(
            f"framing: the compiled core was not built ({type(error).__name__}: {error}); "
            "installing pure Python, which is as correct and slower",
            file=sys.stderr,
        )
        # No extension: the package is pure, and a wheel built now is the
        # pure wheel (py3-none-any), not an abi3 one that holds no extension,
        # nor one left in the build directory by an earlier build.
        for extension in self.extensions:
            stale = self.get_ext_fullpath(extension.name)
            if os.path.exists(stale):
                os.remove(stale)
        self.distribution.ext_modules = []
        wheel = self.distribution.command_obj.get("bdist_wheel")
        if wheel is not None:
            wheel.root_is_pure = True  # type: ignore[attr-defined]
            wheel.py_limited_api = False  # type: ignore[attr-defined]


extensions = (
    []
    if PURE
    else [
        Extension(
            "framing._speedups",
            ["framing/_speedups.c"],
            py_limited_api=True,  # the C file defines Py_LIMITED_API itself
            optional=True,
        )
    ]
)

setup(
    ext_modules=extensions,
    cmdclass={"build_ext": OptionalBuildExt},
    options={"bdist_wheel": {"py_limited_api": "cp310"}} if extensions else {},
)
