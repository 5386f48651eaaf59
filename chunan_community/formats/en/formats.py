"""The portal's formats in English: the dates of its Chinese pages in English words, 24-hour
times and the same compact table dates.

Running text: 7 December 2026 (DATE_FORMAT), never "Dec. 7, 2026"; table cells: 2026-12-07
(SHORT_DATE_FORMAT), the same as in Chinese.
"""

from django.conf.locale.en.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
