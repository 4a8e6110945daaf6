"""sync-daemon: one background service per scope for spec-kitty.

Skeleton: only :func:`default_state_root` exists; the owner record, liveness probe,
reaper and outbox arrive in a later release.
"""

from .__about__ import __version__
from ._paths import default_state_root

__all__ = ["__version__", "default_state_root"]
