"""Moved to :mod:`refreshable_sso.storage.mapping`; this path stays so existing imports keep working.

``refreshable_sso.mappingstore`` *is* that module (the same object in ``sys.modules``, put there
below), so monkeypatching either name patches both, and a pickle that names the old path still
loads. The table of moves is in tests/test_layout.py.
"""

import sys

from refreshable_sso.storage import mapping as _moved
from refreshable_sso.storage.mapping import (
    CacheMapping,
    MappingCacheFile,
    MappingRecord,
    mapping_file,
    private_file,
    tracked_mappings,
)

# for type checkers only: at run time this name is the moved module
__all__ = [
    "CacheMapping",
    "MappingCacheFile",
    "MappingRecord",
    "mapping_file",
    "private_file",
    "tracked_mappings",
]

sys.modules[__name__] = _moved
