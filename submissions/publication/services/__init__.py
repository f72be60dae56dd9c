"""Publication's rules: publishing to the archive (`publish`), embargo and release
(`release`), DOIs (`doi`), tombstones (`tombstone`) and the BIA deposit package (`deposit`)."""

from __future__ import annotations

from .publish import PUBLICATION_FAILED_MESSAGE, PublicationCheckFailed, publish_dataset

__all__ = ["PUBLICATION_FAILED_MESSAGE", "PublicationCheckFailed", "publish_dataset"]
