from django.urls import path

from wufei.plan import views

app_name = "plan"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/", views.milestone_detail, name="milestone"),
    path("my/", views.my_unit, name="my_unit"),
    path("milestones/<int:pk>/report/", views.report_new, name="report_new"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reports/<int:pk>/<str:verb>/", views.report_review, name="report_review"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/<str:verb>/", views.notice_act, name="notice_act"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path(
        "meetings/<int:pk>/decisions/<int:decision_pk>/ledger/",
        views.decision_to_ledger,
        name="decision_to_ledger",
    ),
    path("projects/", views.project_list, name="projects"),
]
