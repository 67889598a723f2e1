"""The build stage: plan the variants, lay them out within limits, write outputs and manifest."""

from reportgen.build.pipeline import (
    BuiltFile,
    Progress,
    build,
    check,
    render_variants,
    tailored_briefings,
)
from reportgen.build.variants import Shard, VariantKey

__all__ = [
    "BuiltFile",
    "Progress",
    "Shard",
    "VariantKey",
    "build",
    "check",
    "render_variants",
    "tailored_briefings",
]
