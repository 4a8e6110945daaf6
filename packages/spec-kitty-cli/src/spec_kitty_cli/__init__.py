"""spec-kitty-cli: the ``spec-kitty`` command line.

The typer application lives in :mod:`spec_kitty_cli.app`; the console script
(``spec-kitty = spec_kitty_cli._entry:main``) runs a plain ``status`` without it.
Importing this package loads nothing else, so ``spec-kitty --version`` and ``--help``
stay fast; each command imports what it needs when it runs.
"""

from .__about__ import __version__

__all__ = ["__version__"]
