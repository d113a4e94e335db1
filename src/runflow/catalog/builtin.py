"""The built-in models of DESIGN §8, owned by the `runflow` org and public to every org."""

from __future__ import annotations

from decimal import Decimal

from runflow.catalog.declarations import DefaultBehavior, ValidatorCode, VariableType
from runflow.catalog.specs import BUILTIN_OWNER as BUILTIN_OWNER
from runflow.catalog.specs import (
    ExampleSpec,
    FaqSpec,
    InputSpec,
    ModelSpec,
    OutputSpec,
    PricingSpec,
)
from runflow.evaluations.issues import IssueCode
from runflow.models_builtin.imaging import MAX_INPUT_PIXELS, MAX_OUTPUT_MEGAPIXELS

# What an estimate assumes of an image it cannot measure (a URL): the largest one decoded.
_MAX_INPUT_MEGAPIXELS = Decimal(MAX_INPUT_PIXELS) / 1_000_000

_IMAGE_FORMATS = InputSpec(
    "output_format",
    VariableType.ENUM,
    "Encoding of the output image.",
    default="png",
    validator_code=ValidatorCode.CHOICES,
    validator_attrs={"values": ["png", "webp", "jpeg"]},
)


def _source_image(description: str) -> InputSpec:
    return InputSpec("image", VariableType.IMAGE, description, is_required=True, is_featured=True)


ECHO = ModelSpec(
    slug="echo",
    name="Echo",
    description="Diagnostic model: returns `message` after `delay_ms`; `fail=true` makes it fail.",
    category_code="diagnostic",
    inputs=(
        InputSpec(
            "message",
            VariableType.STRING,
            "Text returned as the output.",
            default="",
            validator_code=ValidatorCode.LENGTH,
            validator_attrs={"max_length": 10000},
            is_featured=True,
        ),
        InputSpec(
            "delay_ms",
            VariableType.INTEGER,
            "Milliseconds to wait before answering.",
            default=0,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 0, "max": 600000},
        ),
        InputSpec(
            "fail", VariableType.BOOLEAN, "Fail the run instead of answering.", default=False
        ),
        InputSpec(
            "fail_message",
            VariableType.STRING,
            "Failure message when `fail` is true.",
            validator_code=ValidatorCode.LENGTH,
            validator_attrs={"max_length": 2000},
        ),
    ),
    outputs=(OutputSpec("message", VariableType.STRING, "The `message` input, unchanged."),),
    pricing=(PricingSpec("per_run", "run", Decimal("0.0001"), "Flat price per successful run."),),
    examples=(ExampleSpec("Hello", {"message": "hello"}),),
    faq=(
        FaqSpec(
            "What is echo for?",
            "Checking integrations end to end — batches, polling and callbacks — without "
            "spending compute on a real model.",
        ),
    ),
    timeout_s=900.0,
)

TXT2IMG = ModelSpec(
    slug="txt2img",
    name="Text to image",
    description="Deterministic procedural text-to-image as a five-node flow "
    "(encode → latent → sample → decode → save).",
    category_code="image-generation",
    inputs=(
        InputSpec(
            "prompt",
            VariableType.STRING,
            "What to draw.",
            is_required=True,
            validator_code=ValidatorCode.LENGTH,
            validator_attrs={"min_length": 1, "max_length": 2000},
            is_featured=True,
        ),
        InputSpec(
            "negative_prompt",
            VariableType.STRING,
            "What to steer away from.",
            default="",
            validator_code=ValidatorCode.LENGTH,
            validator_attrs={"max_length": 2000},
        ),
        InputSpec(
            "width",
            VariableType.INTEGER,
            "Output width in pixels.",
            default=512,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 64, "max": 2048, "multiple_of": 8},
        ),
        InputSpec(
            "height",
            VariableType.INTEGER,
            "Output height in pixels.",
            default=512,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 64, "max": 2048, "multiple_of": 8},
        ),
        InputSpec(
            "steps",
            VariableType.INTEGER,
            "Sampling steps.",
            default=20,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 1, "max": 100},
        ),
        InputSpec(
            "seed",
            VariableType.SEED,
            "Seed; random when absent, recorded in the input.",
            default_behavior_code=DefaultBehavior.RANDOM_SEED,
        ),
        _IMAGE_FORMATS,
    ),
    outputs=(OutputSpec("images", VariableType.IMAGE, "URLs of the generated images."),),
    pricing=(
        PricingSpec(
            "per_output_megapixel_step",
            "megapixel_step",
            Decimal("0.00005"),
            "Output megapixels × steps.",
            dimension_code="output_megapixels",
            multiplier_label="steps",
        ),
    ),
    examples=(ExampleSpec("Lighthouse", {"prompt": "a lighthouse at dusk", "seed": 42}),),
    faq=(
        FaqSpec(
            "Is the output reproducible?",
            "Yes: the same prompt, size, steps and seed give the same bytes.",
        ),
    ),
)

FACE_DETECT = ModelSpec(
    slug="face-detect",
    name="Face detection",
    description="OpenCV Haar-cascade face detection; returns boxes and an annotated image.",
    category_code="image-analysis",
    inputs=(
        _source_image("Photo to search for faces."),
        InputSpec(
            "min_face_size",
            VariableType.INTEGER,
            "Smallest face side, in pixels.",
            default=24,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 8, "max": 4096},
        ),
        InputSpec(
            "annotate",
            VariableType.BOOLEAN,
            "Also return the image with boxes drawn.",
            default=True,
        ),
    ),
    outputs=(
        OutputSpec("faces", VariableType.JSON, "Boxes as {x, y, width, height}."),
        OutputSpec("count", VariableType.INTEGER, "Number of faces found."),
        OutputSpec("image", VariableType.IMAGE, "Annotated image URL (when `annotate`)."),
    ),
    pricing=(
        PricingSpec(
            "per_input_megapixel",
            "megapixel",
            Decimal("0.001"),
            "Input image megapixels.",
            dimension_code="input_megapixels",
            max_value=_MAX_INPUT_MEGAPIXELS,
        ),
    ),
)

UPSCALE = ModelSpec(
    slug="upscale",
    name="Upscale",
    description="Lanczos ×2 or ×4 upscaling with sharpening.",
    category_code="image-editing",
    inputs=(
        _source_image("Image to enlarge."),
        InputSpec(
            "scale",
            VariableType.INTEGER,
            "Enlargement factor.",
            default=2,
            validator_code=ValidatorCode.CHOICES,
            validator_attrs={"values": [2, 4]},
        ),
        _IMAGE_FORMATS,
    ),
    outputs=(OutputSpec("image", VariableType.IMAGE, "Upscaled image URL."),),
    pricing=(
        PricingSpec(
            "per_output_megapixel",
            "megapixel",
            Decimal("0.002"),
            "Output image megapixels.",
            dimension_code="output_megapixels",
            max_value=Decimal(str(MAX_OUTPUT_MEGAPIXELS)),
        ),
    ),
)

IMG2VIDEO = ModelSpec(
    slug="img2video",
    name="Image to video",
    description="Pan-and-zoom video (MP4 or animated WebP) from one image.",
    category_code="video-generation",
    inputs=(
        _source_image("Still image to animate."),
        InputSpec(
            "duration_s",
            VariableType.FLOAT,
            "Video length in seconds.",
            default=3,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 1, "max": 10},
        ),
        InputSpec(
            "fps",
            VariableType.INTEGER,
            "Frames per second.",
            default=12,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 6, "max": 30},
        ),
        InputSpec(
            "zoom",
            VariableType.FLOAT,
            "Final zoom factor.",
            default=1.3,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 1.0, "max": 2.0},
        ),
        InputSpec(
            "output_format",
            VariableType.ENUM,
            "Video container.",
            default="mp4",
            validator_code=ValidatorCode.CHOICES,
            validator_attrs={"values": ["mp4", "webp"]},
        ),
    ),
    outputs=(OutputSpec("video", VariableType.VIDEO, "Video URL."),),
    pricing=(
        PricingSpec(
            "per_output_second",
            "second",
            Decimal("0.01"),
            "Output video seconds.",
            dimension_code="output_seconds",
        ),
    ),
)

_ISSUE_CODES = "|".join(IssueCode)

IMAGE_QUALITY = ModelSpec(
    slug="image-quality",
    name="Image quality",
    description="Evaluates an image: a pass verdict, a 0–1 score and structured issues "
    "(blur, noise, exposure, contrast, blank, compression, resolution, colour cast, NSFW). "
    "`POST /v1/evaluations` runs this model.",
    category_code="image-analysis",
    inputs=(
        _source_image("Image to evaluate."),
        InputSpec(
            "prompt",
            VariableType.STRING,
            "The prompt the image was generated from, kept with the evaluation.",
            default="",
            validator_code=ValidatorCode.LENGTH,
            validator_attrs={"max_length": 4000},
        ),
        InputSpec(
            "min_score",
            VariableType.FLOAT,
            "Least score that passes.",
            default=0.5,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 0, "max": 1},
        ),
        InputSpec(
            "min_width",
            VariableType.INTEGER,
            "Least width in pixels; 0 for none beyond 256×256 px of area.",
            default=0,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 0, "max": 65535},
        ),
        InputSpec(
            "min_height",
            VariableType.INTEGER,
            "Least height in pixels; 0 for none beyond 256×256 px of area.",
            default=0,
            validator_code=ValidatorCode.RANGE,
            validator_attrs={"min": 0, "max": 65535},
        ),
        InputSpec(
            "ignore",
            VariableType.STRING,
            "Issue codes not to judge, comma-separated (e.g. `NSFW,COLOR_CAST`).",
            default="",
            validator_code=ValidatorCode.REGEX,
            validator_attrs={"pattern": f"(({_ISSUE_CODES})(,({_ISSUE_CODES}))*)?"},
        ),
    ),
    outputs=(
        OutputSpec("passed", VariableType.BOOLEAN, "No major or critical issue, score ≥ min."),
        OutputSpec("score", VariableType.FLOAT, "Quality from 0 to 1, 3 decimals."),
        OutputSpec("issues", VariableType.JSON, "{code, severity, message, score} each."),
        OutputSpec("metrics", VariableType.JSON, "The measured values."),
    ),
    pricing=(PricingSpec("per_run", "run", Decimal("0.0002"), "Flat price per evaluation."),),
    examples=(ExampleSpec("A photo", {"image": "https://example.com/photo.jpg"}),),
    timeout_s=120.0,
)

BUILTIN_MODELS: tuple[ModelSpec, ...] = (
    ECHO,
    TXT2IMG,
    FACE_DETECT,
    UPSCALE,
    IMG2VIDEO,
    IMAGE_QUALITY,
)
