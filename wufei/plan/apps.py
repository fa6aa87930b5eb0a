from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "wufei.plan"
    label = "plan"
    verbose_name = "试点方案推进"
