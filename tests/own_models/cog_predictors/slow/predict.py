"""A slow predictor: works for `seconds`, logging as it goes (to cancel, or to time out)."""

import time

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, seconds: float = Input(default=30.0)) -> str:
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline:
            print(f"step {step}", flush=True)
            step += 1
            time.sleep(0.1)
        return "done"
