from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "wufei.outreach"
    label = "outreach"
    verbose_name = "宣传教育与公众参与"
