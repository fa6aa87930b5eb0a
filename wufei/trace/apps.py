from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "wufei.trace"
    label = "trace"
    verbose_name = "追溯与台账"
