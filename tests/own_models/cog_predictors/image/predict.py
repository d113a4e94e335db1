"""An image filter: the image, inverted, as a file."""

import tempfile
from pathlib import Path as LocalPath

from cog import BasePredictor, Input, Path
from PIL import Image, ImageOps


class Predictor(BasePredictor):
    def predict(self, image: Path = Input(description="The image to invert.")) -> Path:
        with Image.open(image) as opened:
            inverted = ImageOps.invert(opened.convert("RGB"))
        out = LocalPath(tempfile.mkdtemp()) / "inverted.png"
        inverted.save(out)
        print(f"inverted a {inverted.width}x{inverted.height} image")
        return Path(out)
