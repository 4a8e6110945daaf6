"""mission-context: resolve a spec-kitty mission's execution context once, from any directory.

Skeleton: only :class:`ContextError` exists so far. The resolver
(``resolve_action_context``) and its fragments arrive in a later release.
"""

from .__about__ import __version__
from ._errors import ContextError

__all__ = ["ContextError", "__version__"]
