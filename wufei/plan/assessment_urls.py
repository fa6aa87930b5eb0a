"""Pages of the assessment and the enterprise credit, mounted under ``plan/``:
``path("plan/", include("wufei.plan.assessment_urls"))``."""

from django.urls import path

from wufei.plan import assessment_views as views

app_name = "assessment"

urlpatterns = [
    path("assessment/", views.ranking, name="ranking"),
    path("assessment/compute/", views.compute, name="compute"),
    path("assessment/scores/<int:pk>/", views.score_detail, name="score_detail"),
    path("assessment/rules/", views.rules, name="rules"),
    path("assessment/rules/<int:pk>/", views.rule_update, name="rule_update"),
    path("assessment/midterm.docx", views.midterm_report, name="midterm"),
    path("credit/", views.credit_list, name="credit_list"),
    path("credit/mine/", views.credit_mine, name="credit_mine"),
    path("credit/rules/", views.credit_rules, name="credit_rules"),
    path("credit/<int:pk>/", views.credit_detail, name="credit_detail"),
]
