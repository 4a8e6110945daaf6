"""occurrence-map: bulk-edit occurrence maps for spec-kitty.

Load (:func:`load`) and validate (:func:`validate_file`, :func:`validate_text`) an
``occurrence_map.yaml``, gate a lane's diff against it (:func:`check_diff`), check its
declared moves in a checkout (:func:`check_moves`) and write a starter map
(:func:`starter_map`). Depends on PyYAML only.
"""

from .__about__ import __version__
from ._diff import DiffEntry, DiffReport, check_diff
from ._errors import OccurrenceMapError
from ._model import MapException, Move, OccurrenceMap, StructuralTarget, Target
from ._moves import MoveFinding, check_moves
from ._starter import starter_map
from ._validate import ValidationReport, load, validate_file, validate_text
from ._vocabulary import ACTIONS, STANDARD_CATEGORIES

__all__ = [
    "ACTIONS",
    "STANDARD_CATEGORIES",
    "DiffEntry",
    "DiffReport",
    "MapException",
    "Move",
    "MoveFinding",
    "OccurrenceMap",
    "OccurrenceMapError",
    "StructuralTarget",
    "Target",
    "ValidationReport",
    "__version__",
    "check_diff",
    "check_moves",
    "load",
    "starter_map",
    "validate_file",
    "validate_text",
]
