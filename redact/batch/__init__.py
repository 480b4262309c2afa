"""Batch redaction: many clips from a folder or manifest, resumable, locally or on Dask."""

from .runner import BatchSettings, BatchSummary, run_batch

__all__ = ["BatchSettings", "BatchSummary", "run_batch"]
