"""Sphinx configuration of the framing documentation.

Build (warnings are errors, as CI builds it)::

    python -m pip install -e ".[docs]"    # or: pip install -r docs/requirements.txt -e .
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build needs no network. Links to the Python documentation
(intersphinx) are made only when FRAMING_DOCS_INTERSPHINX=1 is set, since
fetching Python's inventory needs the internet and a failed fetch is a
warning, which -W turns into a failed build.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

ROOT = Path(__file__).resolve().parent.parent
# Document the checkout's framing even when another one is installed.
sys.path.insert(0, str(ROOT))

import framing  # noqa: E402 - after the path is set

project = "framing"
author = "The framing-codecs authors"
copyright = "The framing-codecs authors"
release = framing.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.extlinks",
    "sphinx.ext.viewcode",
]

# The pages are reStructuredText, as the docstrings are.
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "requirements.txt"]
templates_path: list[str] = []

# ``::`` blocks (in the pages and the docstrings) are highlighted as Python
# when they parse as Python, and shown plain when not (wire diagrams): Sphinx's
# "default" language, which never warns.
highlight_language = "default"

# :source:`bench/README.md` links to a file of the repository.
REPOSITORY = "https://github.com/framing-codecs/framing-codecs"
extlinks = {"source": (f"{REPOSITORY}/blob/main/%s", "%s")}

# -- autodoc ---------------------------------------------------------------------

autodoc_default_options = {
    "member-order": "bysource",
}
# The class docstring only: every constructor's options are documented there.
autoclass_content = "class"
# ``Buffer`` (any bytes-like object) reads as the alias, not as the union it is at run time.
autodoc_type_aliases = {"Buffer": "framing.Buffer"}
autodoc_typehints = "signature"
autodoc_inherit_docstrings = True

# -- intersphinx (opt-in: needs the network) ---------------------------------------

if os.environ.get("FRAMING_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {"python": ("https://docs.python.org/3", None)}
    intersphinx_timeout = 10

# -- HTML --------------------------------------------------------------------------

try:
    import furo  # noqa: F401 - only whether it is installed
except ImportError:  # the default theme, with nothing more to install
    html_theme = "alabaster"
else:
    html_theme = "furo"
html_title = f"framing {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

# -- references to private module paths -------------------------------------------

# Each public name is documented once, at its public path (``framing.FramedSocket``,
# ``framing.aio.FramedStream``); signatures name the module that defines it
# (``framing.adapters.socket.FramedSocket``). Such references go to the public path.
PUBLIC_PATHS = (
    ("framing.adapters.aio", "framing.aio"),
    ("framing.adapters.anyio_stream", "framing.anyio"),
    ("framing.", "framing"),
)


def resolve_public_path(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """A reference to ``framing.<private module>.<Name>``, resolved to the public ``Name``."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("framing."):
        return None
    module, _, name = target.rpartition(".")
    domain: Any = env.get_domain("py")
    for prefix, public in PUBLIC_PATHS:
        candidate = f"{public}.{name}"
        if module.startswith(prefix) and candidate in domain.objects:
            resolved: nodes.Element | None = domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
            )
            return resolved
    return None


# Sphinx shows an alias nested in a generic (``tuple[Buffer, ...]``) as
# ``TypeAliasForwardRef('framing.Buffer')``: show its name.
ALIAS_REPR = re.compile(r"TypeAliasForwardRef\('([\w.]+)'\)")


def show_aliases(
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    """``signature`` and ``return_annotation`` with aliases shown by name."""

    def plain(text: str | None) -> str | None:
        return None if text is None else ALIAS_REPR.sub(r"\1", text)

    return plain(signature), plain(return_annotation)


def setup(app: Sphinx) -> None:
    app.connect("missing-reference", resolve_public_path)
    app.connect("autodoc-process-signature", show_aliases)
