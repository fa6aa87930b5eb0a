"""The statistics models, one module per concern; Django finds them through this package."""

from wufei.stats.models.declarations import Declaration, DeclarationLine
from wufei.stats.models.forecasts import Forecast
from wufei.stats.models.indicators import Indicator, IndicatorTarget, IndicatorValue
from wufei.stats.models.rollups import Rollup, RollupDirty, RollupMonth

__all__ = [
    "Declaration",
    "DeclarationLine",
    "Forecast",
    "Indicator",
    "IndicatorTarget",
    "IndicatorValue",
    "Rollup",
    "RollupDirty",
    "RollupMonth",
]
