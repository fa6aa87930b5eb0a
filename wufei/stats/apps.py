from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "wufei.stats"
    label = "stats"
    verbose_name = "统计"
