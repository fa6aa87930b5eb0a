from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY_BUREAU = "bureau", _("市直单位")
    COUNTY = "county", _("县（市、区）政府")
    OFFICE = "office", _("试点办")
    OTHER = "other", _("其他单位")


class LedgerKind(models.TextChoices):
    CITY = "city", _("全市台账")
    COUNTY = "county", _("县（市、区）台账")
    UNIT = "unit", _("部门台账")


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    ON_TRACK = "on_track", _("正常推进")
    AT_RISK = "at_risk", _("进度滞后")
    LATE = "late", _("逾期")
    DONE = "done", _("已完成")


class MilestoneStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ProjectStage(models.TextChoices):
    PLANNING = "planning", _("前期谋划")
    APPROVAL = "approval", _("立项审批")
    CONSTRUCTION = "construction", _("在建")
    COMMISSIONING = "commissioning", _("调试试运行")
    OPERATING = "operating", _("建成投运")
    SUSPENDED = "suspended", _("暂缓")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已报送")
    ACCEPTED = "accepted", _("已审核")
    RETURNED = "returned", _("已退回")


class NoticeReason(models.TextChoices):
    OVERDUE = "overdue", _("节点逾期")
    STALLED = "stalled", _("进展停滞")
    NO_REPORT = "no_report", _("未按时报送进展")
    DECISION = "decision", _("会议议定事项")
    OTHER = "other", _("其他")


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("待反馈")
    ANSWERED = "answered", _("已反馈")
    ESCALATED = "escalated", _("已升级")
    CLOSED = "closed", _("已办结")


class NoticeLevel(models.IntegerChoices):
    REMINDER = 1, _("提醒督办")
    NOTICE = 2, _("督办通知")
    CIRCULAR = 3, _("通报约谈")


class MeetingKind(models.TextChoices):
    PROGRESS = "progress", _("工作推进会")
    JOINT = "joint", _("联席会议")
    TOPIC = "topic", _("专题会议")
    CONSULTATION = "consultation", _("协商调研")


class ScoreMeasure(models.TextChoices):
    """What a scoring rule counts; its parameters are data (``ScoringRule.params``)."""

    MILESTONES_ON_TIME = "milestones_on_time", _("节点按时完成率")
    INDICATOR_PROGRESS = "indicator_progress", _("指标目标进度")
    NOTICES_ANSWERED = "notices_answered", _("督办按时反馈率")
    REPORTS_FILED = "reports_filed", _("进展按时报送率")
    PROJECTS_ON_SCHEDULE = "projects_on_schedule", _("重大项目按期推进率")


class CreditLevel(models.TextChoices):
    """The colour levels of Chinese enterprise environmental credit evaluation."""

    GREEN = "green", _("环保诚信企业（绿牌）")
    BLUE = "blue", _("环保良好企业（蓝牌）")
    YELLOW = "yellow", _("环保警示企业（黄牌）")
    RED = "red", _("环保不良企业（红牌）")
    BLACK = "black", _("环保严重失信企业（黑牌）")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已印发")


class ArticleKind(models.TextChoices):
    ARTICLE = "article", _("正文")
    DATA = "data", _("数据专栏")
    BRIEF = "brief", _("简讯")
