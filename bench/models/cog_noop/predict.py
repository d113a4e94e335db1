"""A Cog predictor that does nothing: its input comes back as its output."""

from cog import BasePredictor


class Predictor(BasePredictor):
    def predict(self, message: str) -> str:
        return message
