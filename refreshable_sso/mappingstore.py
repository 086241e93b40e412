"""Moved to :mod:`refreshable_sso.storage.mapping`; this name stays importable for callers."""

from refreshable_sso.storage.mapping import (
    CacheMapping,
    MappingCacheFile,
    MappingRecord,
    mapping_file,
    private_file,
    tracked_mappings,
)

__all__ = [
    "CacheMapping",
    "MappingCacheFile",
    "MappingRecord",
    "mapping_file",
    "private_file",
    "tracked_mappings",
]
