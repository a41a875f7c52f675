"""``python -m framing``: the command line."""

from .cli import main

raise SystemExit(main())
