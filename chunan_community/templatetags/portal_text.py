"""Text stored in Chinese, shown on a page in another language (WCAG 2.1, 3.1.2 Language of
Parts): marked `lang="zh-Hans"` so that a screen reader reads it with Chinese rules. On a
Chinese page the text is left as it is: the page's own lang covers it.

`{{ round.name|zh }}` marks a whole value (a name, a text someone wrote);
`{{ text|zh_terms }}` marks each Chinese term inside an English sentence, such as the
county's own words in a translated message ("normative community (规范)").

Only element content: text in an attribute (title=, alt=, value=, aria-label=) or an <option>
label cannot take a <span>, and is out of scope."""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext

register = template.Library()

# CJK Unified Ideographs with Extension A, and the Compatibility Ideographs.
CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
# A Chinese term: from an ideograph on through ideographs, digits and Chinese punctuation
# (“规范、星级、花园”, 每百户不少于20平方米).
CJK_TERM = re.compile(
    "[\u3400-\u9fff\uf900-\ufaff][\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\u2018\u2019\u201c\u201d0-9]*"
)
TAG = re.compile(r"(<[^>]*>)")


def _chinese_page():
    return (get_language() or "").startswith("zh")


@register.filter
def zh(value):
    """The text, escaped; wrapped in <span lang="zh-Hans"> when the page is not in Chinese
    and the text has Chinese characters."""
    text = conditional_escape(value)
    if _chinese_page() or not CJK.search(str(value)):
        return text
    return format_html('<span lang="zh-Hans">{}</span>', text)


@register.filter
def zh_terms(value):
    """The text, escaped, with each Chinese term in it wrapped in <span lang="zh-Hans"> when
    the page is not in Chinese. Markup already in a safe value (a blocktranslate ... asvar
    with values marked by `zh`) is kept, and only the text between its tags is looked at."""
    html = str(conditional_escape(value))
    if _chinese_page() or not CJK.search(html):
        return mark_safe(html)  # noqa: S308 -- escaped above
    parts = TAG.split(html)
    inside = 0  # depth of elements already marked Chinese, whose text is left alone
    for n, part in enumerate(parts):
        if n % 2:  # a tag
            if part.startswith("</") and inside:
                inside -= 1
            elif 'lang="zh' in part or (inside and not part.endswith("/>")):
                inside += 1
        elif not inside:
            parts[n] = CJK_TERM.sub(r'<span lang="zh-Hans">\g<0></span>', part)
    return mark_safe("".join(parts))  # noqa: S308 -- escaped text, our own tags


@register.filter
def zh_lang(value):
    """` lang="zh-Hans"` for an element whose content is the value, on the terms of `zh`:
    for text that is markup of its own (`description|linebreaks` in a <div>)."""
    if _chinese_page() or not CJK.search(str(value)):
        return ""
    return mark_safe(' lang="zh-Hans"')


@register.filter
def colon(label):
    """A label and its colon in the page's language, ready for the value: "Stage: " in
    English, "阶段：" in Chinese (a full-width colon, no space)."""
    return pgettext("a label before its value", "%(label)s: ") % {"label": label}
