"""The build stage: plan the variants, lay them out within limits, write outputs and manifest."""

from reportgen.build.pipeline import (
    BuiltFile,
    Progress,
    Shard,
    build,
    check,
    render_variants,
    tailored_briefings,
)

__all__ = [
    "BuiltFile",
    "Progress",
    "Shard",
    "build",
    "check",
    "render_variants",
    "tailored_briefings",
]
