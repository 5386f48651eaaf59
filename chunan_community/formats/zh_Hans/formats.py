"""The portal's formats in Chinese: Django's own (django/conf/locale/zh_Hans), except that
tables write a date as 2026-12-07 and numbers are grouped by thousands (1,234,567) as in
official statistics, where Django groups by ten thousands without a separator.

Running text: 2026年12月7日 (DATE_FORMAT); table cells: 2026-12-07 (SHORT_DATE_FORMAT).
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
