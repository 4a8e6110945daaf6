"""occurrence-map: bulk-edit occurrence maps for spec-kitty.

Skeleton: the controlled vocabulary (:data:`ACTIONS`, :data:`STANDARD_CATEGORIES`) exists;
loading, validation and the diff gate arrive in a later release.
"""

from .__about__ import __version__
from ._vocabulary import ACTIONS, STANDARD_CATEGORIES

__all__ = ["ACTIONS", "STANDARD_CATEGORIES", "__version__"]
