"""The `zh`, `zh_terms` and `zh_lang` filters (WCAG 3.1.2 Language of Parts): Chinese text on
a page in another language is marked lang="zh-Hans"; a Chinese page is left as it was."""

import pytest
from django.template import Context, Template
from django.utils import translation


def render(source, language, **context):
    with translation.override(language):
        return Template("{% load portal_text %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("zh-hans", "西园社区", "西园社区"),
        ("en", "西园社区", '<span lang="zh-Hans">西园社区</span>'),
        ("en", "2026年度评定", '<span lang="zh-Hans">2026年度评定</span>'),
        ("en", "Xiyuan", "Xiyuan"),
        ("en", "", ""),
        ("zh-hans", "<b>西园</b> & co", "&lt;b&gt;西园&lt;/b&gt; &amp; co"),
        ("en", "<b>西园</b> & co", '<span lang="zh-Hans">&lt;b&gt;西园&lt;/b&gt; &amp; co</span>'),
        ("en", "<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
    ],
)
def test_zh_wraps_chinese_text_on_a_page_not_in_chinese(language, value, expected):
    assert render("{{ value|zh }}", language, value=value) == expected


def test_zh_inside_blocktranslate_is_not_escaped_twice():
    source = (
        "{% load i18n %}{% blocktranslate with office=office|zh %}"
        "In writing: to {{ office }}.{% endblocktranslate %}"
    )
    assert render(source, "en", office="县<办>") == (
        'In writing: to <span lang="zh-Hans">县&lt;办&gt;</span>.'
    )


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("zh-hans", "Service networks (五大服务网络)", "Service networks (五大服务网络)"),
        (
            "en",
            "Service networks (五大服务网络)",
            'Service networks (<span lang="zh-Hans">五大服务网络</span>)',
        ),
        (
            "en",
            "communities (创建“规范、星级、花园”社区): rounds",
            'communities (<span lang="zh-Hans">创建“规范、星级、花园”社区</span>): rounds',
        ),
        (
            "en",
            "normative (规范), star (星级, in stars)",
            'normative (<span lang="zh-Hans">规范</span>), '
            'star (<span lang="zh-Hans">星级</span>, in stars)',
        ),
        ("en", "Points < 20 & more", "Points &lt; 20 &amp; more"),
        ("en", "<i>规范</i>", '&lt;i&gt;<span lang="zh-Hans">规范</span>&lt;/i&gt;'),
    ],
)
def test_zh_terms_wraps_each_chinese_term(language, value, expected):
    assert render("{{ value|zh_terms }}", language, value=value) == expected


def test_zh_terms_leaves_markup_and_marked_text_of_a_safe_value_alone():
    source = (
        "{% load i18n %}{% blocktranslate asvar text with name=name|zh %}"
        "Round {{ name }} (评定){% endblocktranslate %}{{ text|zh_terms }}"
    )
    assert render(source, "en", name="首届") == (
        'Round <span lang="zh-Hans">首届</span> (<span lang="zh-Hans">评定</span>)'
    )


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("zh-hans", "居民来信", ""),
        ("en", "居民来信", ' lang="zh-Hans"'),
        ("en", "A letter", ""),
    ],
)
def test_zh_lang_gives_the_attribute_for_chinese_content(language, value, expected):
    assert render("<p{{ value|zh_lang }}>", language, value=value) == f"<p{expected}>"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [("zh-hans", "评审", "阶段：评审"), ("en", "review", "Stage: review")],
)
def test_a_label_takes_the_colon_of_the_pages_language(language, value, expected):
    source = '{% translate "Stage" as label_text %}{{ label_text|colon }}{{ value }}'

    assert render("{% load i18n %}" + source, language, value=value) == expected
