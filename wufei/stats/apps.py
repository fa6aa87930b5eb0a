from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "wufei.stats"
    label = "stats"
    verbose_name = "统计"

    def ready(self) -> None:
        from wufei.stats.rollups import connect

        connect()  # manifest saves mark their rollup slices dirty
