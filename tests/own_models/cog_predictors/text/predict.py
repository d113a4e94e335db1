"""A text predictor: shouts its input, and says so in its logs."""

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: str = Input(description="What to shout.")) -> str:
        print(f"shouting {text!r}")
        return text.upper()
