"""The demo's sample announcements (通知公告) for `load_chunan --demo-accounts`: the current
round's call for declarations and two notices of the county office, dated relative to the
day of the load so that a newcomer finds them on the home page. Invented, marked as sample
data; each is written only when missing (`initial`), so that the county's edits are kept.
"""

import datetime

from django.conf import settings

from communities.loading import Loader
from portal.announcements import declaration_call_text
from portal.models import Announcement

# (days after the day of the load, title, text): invented notices of the county office.
SAMPLE_NOTICES = [
    (
        -12,
        "关于开展社区办公和活动用房达标自查的通知",
        "各乡镇（街道）、各社区居委会：\n\n"
        "按照社区办公和活动用房每百户不少于20平方米的标准，请各社区对照“五室二站一校一场所”"
        "逐项自查用房面积和功能设置，如实填报设施情况。\n\n"
        "未达标的社区请结合规划布点、资源共享、加层扩建、房屋置换、吸纳社会资金共建等办法，"
        "提出整改计划，由乡镇（街道）汇总后报县社区建设领导小组办公室。\n\n"
        "淳安县社区建设领导小组办公室",
    ),
    (
        -3,
        "关于按时报送社区工作月报的通知",
        "各社区居委会：\n\n"
        "社区工作月报应于每月结束后{due}日内报送，由乡镇（街道）审核、县民政局确认。"
        "请各社区文书按时在平台上填报上月数据，填报前可参考平台根据服务记录预填的数字，"
        "与前几个月差异较大的数字请附说明。\n\n"
        "淳安县民政局",
    ),
]


def load_sample_announcements(loader: Loader, *, today: datetime.date, current_round, by) -> None:
    """The current round's call for declarations (as its move into declarations would have
    published it, on the day they opened), unless the round has an announcement already,
    and SAMPLE_NOTICES."""
    # Every sample is found by its title (a Loader looks a model up by one key).
    if Announcement.objects.filter(round=current_round).exists():
        loader.count(Announcement, "unchanged")
    else:
        opened = current_round.declarations_open_on or today
        call = declaration_call_text(current_round, opened)
        loader.put(
            Announcement,
            {"title": call["title"]},
            initial={
                "body": call["body"],
                "round": current_round,
                "published_on": opened,
                "created_by": by,
                "is_sample": True,
            },
        )
    for days, title, body in SAMPLE_NOTICES:
        loader.put(
            Announcement,
            {"title": title},
            initial={
                "body": body.format(due=settings.RETURN_DUE_DAYS),
                "published_on": today + datetime.timedelta(days=days),
                "created_by": by,
                "is_sample": True,
            },
        )
