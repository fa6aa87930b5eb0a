from wufei.plan.models.assessment import CreditRule, CreditScore, Score, ScoringRule
from wufei.plan.models.bulletins import Article, Bulletin
from wufei.plan.models.ledger import (
    Area,
    Ledger,
    Milestone,
    ProgressReport,
    Project,
    ReportAttachment,
    Task,
    Unit,
)
from wufei.plan.models.meetings import Decision, Meeting
from wufei.plan.models.supervision import Notice, NoticeEvent

__all__ = [
    "Area",
    "Article",
    "Bulletin",
    "CreditRule",
    "CreditScore",
    "Decision",
    "Ledger",
    "Meeting",
    "Milestone",
    "Notice",
    "NoticeEvent",
    "ProgressReport",
    "Project",
    "ReportAttachment",
    "Score",
    "ScoringRule",
    "Task",
    "Unit",
]
