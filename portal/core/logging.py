"""Defence in depth: mask anything that looks like a BSN (nine digits) in log lines."""

import logging
import re

_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


class ScrubBSNFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = _NINE_DIGITS.sub("*********", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
