"""Web demo: a Gradio page to super-resolve an upload and compare it with bicubic (`demo` extra).

Example:
>>> from super_resolution_gans.demo import build_demo  # doctest: +SKIP
>>> build_demo().launch()  # doctest: +SKIP
"""

from .app import build_demo
from .upscaling import DemoError, DemoResult, load_model, upscale_upload

__all__ = ["DemoError", "DemoResult", "build_demo", "load_model", "upscale_upload"]
