from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "wufei.iot"
    label = "iot"
    verbose_name = "物联网"
