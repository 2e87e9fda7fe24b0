from pydantic import Field

from strategies import RotationParams, RotationStrategy, register


class TrendParams(RotationParams):
    lookback: int = Field(200, ge=5, le=756, description="trend window",
                          json_schema_extra={"unit": "sessions"})


@register
class SmallCapTrend(RotationStrategy):
    """Hold small caps while IWM is above its level `lookback` sessions ago, else SPY."""

    name, summary = "small_cap_trend", "IWM while its trailing return is positive, else SPY"
    Params = TrendParams

    @classmethod
    def needs(cls, params):
        return ["IWM", "SPY"], []  # tradable symbols, signal series

    @classmethod
    def warmup(cls, params):
        return params.lookback

    def targets(self):
        iwm, n = self.feed("IWM").close, self.cfg.lookback
        up = iwm[0] > iwm[-n]
        weights = {"IWM": 1.0} if up else {"SPY": 1.0}
        return weights, f"IWM {'above' if up else 'below'} its level {n} sessions ago"
