from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wufei.cases"
    label = "cases"
    verbose_name = "督查与执法"
