"""A predictor that always raises."""

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: str = Input(default="")) -> str:
        raise ValueError(f"the model broke on {text!r}")
