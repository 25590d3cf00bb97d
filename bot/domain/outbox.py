"""How the bot's queued messages refer to things that do not exist yet when they are queued: the
event id of an earlier queued message (a placeholder the sender fills in), and a file still to be
uploaded. Services write these into the outbox; the sender reads them.
"""

from __future__ import annotations

import base64
from typing import Any

REDACTION = "m.room.redaction"
OUTBOX_REF = "$outbox"


def outbox_ref(message_id: int) -> dict[str, int]:
    """A placeholder for the event id of an earlier queued message, filled in when sending."""
    return {OUTBOX_REF: message_id}


# An outbox message of this type carries a file (base64) under UPLOAD_KEY: the sender uploads it
# and then sends the rest of the content as an m.file message pointing at the upload.
UPLOAD = "asamblea.upload"
UPLOAD_KEY = "org.asamblea.upload"


def upload_content(
    data: bytes,
    filename: str,
    mimetype: str,
    *,
    reuse_key: str | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """The queued content of a file to upload and post (the minutes, for one).

    With a `reuse_key` (what the file is: "minutes of meeting 3, this room, Markdown") and a
    `fingerprint` of its content, a file already uploaded under that key with the same
    fingerprint is posted again from the earlier upload instead of being uploaded anew.
    """
    upload: dict[str, Any] = {"data": base64.b64encode(data).decode("ascii"), "mimetype": mimetype}
    if reuse_key and fingerprint:
        upload["reuse"] = {"key": reuse_key, "fingerprint": fingerprint}
    return {
        "msgtype": "m.file",
        "body": filename,
        "filename": filename,
        "info": {"mimetype": mimetype, "size": len(data)},
        UPLOAD_KEY: upload,
    }
