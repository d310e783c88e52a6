"""SQS FIFO ids from task Keys and playbook slugs, within SQS's rules. Pure.

Amazon SQS (SendMessage / SendMessageBatch API reference, ``MessageDeduplicationId`` and
``MessageGroupId``): each "can contain alphanumeric characters (a-z, A-Z, 0-9) and punctuation
(!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~)" and is at most 128 characters long. That is exactly the
printable ASCII range without the space, U+0021 to U+007E. moto does not enforce it; SQS
refuses the whole entry with ``InvalidParameterValue``.

The id of a value is:

- the value itself, when it already keeps the rules (every demo Key and slug does);
- otherwise ``<readable prefix>~<hash>``: the value's first characters with every character SQS
  refuses replaced by ``_`` (at most ``PREFIX_LENGTH``), then ``~`` and the first 32 hex digits
  (128 bits) of the SHA-256 of the whole value in UTF-8. The hash makes two different values two
  different ids; the prefix only helps a person reading the queue.

It is deterministic (the same Key always gets the same deduplication id, so SQS's 5-minute
deduplication still drops a resend) and idempotent: an id is its own id, so a redrive that
resends with the group id SQS returned keeps the group.
"""

from __future__ import annotations

import hashlib
import re

#: SQS's limit on MessageDeduplicationId and MessageGroupId.
MAX_ID_LENGTH = 128
#: The characters SQS allows in them: a-z, A-Z, 0-9 and ASCII punctuation (U+0021..U+007E).
SQS_ID_PATTERN = re.compile(r"[!-~]{1,128}")
HASH_HEX_DIGITS = 32
PREFIX_LENGTH = MAX_ID_LENGTH - HASH_HEX_DIGITS - 1
_REFUSED = re.compile(r"[^!-~]")


def sqs_id(value: str) -> str:
    """``value`` if SQS accepts it as a FIFO id, else its readable prefix and hash (module docstring)."""
    if SQS_ID_PATTERN.fullmatch(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_HEX_DIGITS]
    return f"{_REFUSED.sub('_', value[:PREFIX_LENGTH])}~{digest}"

