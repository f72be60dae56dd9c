"""Processing: the converters, their limits and output format, the archive push, and the
sweeper that heals stuck work."""

from __future__ import annotations

from pathlib import Path

from ._env import VAR_DIR, env

# --- Converter --------------------------------------------------------------------------------
BIOFORMATS2RAW = env.str("BIOFORMATS2RAW", default="")
CONVERSION_SCRATCH_DIR = Path(env.str("CONVERSION_SCRATCH_DIR", default=str(VAR_DIR / "scratch")))
# Bio-Formats for formats the built-in readers do not know (submissions/conversion/bioformats.py)
# reads BIOFORMATS_JAR and JAVA from the environment itself; they are listed here so a
# deployment sees every variable in one place.
BIOFORMATS_JAR = env.str("BIOFORMATS_JAR", default="")
JAVA = env.str("JAVA", default="")

# --- Conversion, archive push and the sweeper ---------------------------------------------------
CONVERSION_TIMEOUT_SECONDS = env.int("CONVERSION_TIMEOUT_SECONDS", default=6 * 3600)
CONVERSION_MEMORY_LIMIT_BYTES = env.int("CONVERSION_MEMORY_LIMIT_BYTES", default=4 * 2**30)
CONVERSION_MAX_WORKERS = env.int("CONVERSION_MAX_WORKERS", default=2)
# What the built-in converter writes (bioformats2raw writes what its release writes):
# NGFF "0.5" (Zarr v3, sharded) or "0.4" (Zarr v2, one object per chunk); for 0.5, the
# pixels per shard in bytes (0: no sharding) or an explicit shard shape "T,C,Z,Y,X".
CONVERSION_NGFF_VERSION = env.str("CONVERSION_NGFF_VERSION", default="0.5")
CONVERSION_SHARD_BYTES = env.int("CONVERSION_SHARD_BYTES", default=2**30)
CONVERSION_SHARD_SHAPE = env.str("CONVERSION_SHARD_SHAPE", default="")
ARCHIVE_PUSH_WORKERS = env.int("ARCHIVE_PUSH_WORKERS", default=16)
# A running job that has not reported for this long is presumed dead and is re-queued.
PROCESSING_HEARTBEAT_SECONDS = env.float("PROCESSING_HEARTBEAT_SECONDS", default=10.0)
PROCESSING_STALE_SECONDS = env.float("PROCESSING_STALE_SECONDS", default=120.0)
# Queued work whose message may have been lost (Redis restarted) is re-sent after this long.
PROCESSING_QUEUED_DEADLINE_SECONDS = env.float("PROCESSING_QUEUED_DEADLINE_SECONDS", default=300.0)
PROCESSING_SWEEP_SECONDS = env.float("PROCESSING_SWEEP_SECONDS", default=60.0)
# Transient failures (S3 5xx, lost connections, a killed worker) are retried this many times.
PROCESSING_MAX_ATTEMPTS = env.int("PROCESSING_MAX_ATTEMPTS", default=5)
PROCESSING_RETRY_BACKOFF_SECONDS = env.float("PROCESSING_RETRY_BACKOFF_SECONDS", default=30.0)
