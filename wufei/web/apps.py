from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wufei.web"
    label = "web"
    verbose_name = "门户"
