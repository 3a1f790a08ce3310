"""The Gradio page of the web demo; the work itself is in `upscaling`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .upscaling import AUTO_TILE, DEFAULT_MAX_PIXELS, DemoError, load_model, upscale_upload

TILE_CHOICES = (
    ("auto (from the image size)", AUTO_TILE),
    ("whole image, one pass", "0"),
    ("64", "64"),
    ("128", "128"),
    ("256", "256"),
    ("512", "512"),
)
"""Tile-size choices offered on the page: (label, value for `parse_tile_size`)."""


def build_demo(
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    output_dir: str | os.PathLike | None = None,
) -> Any:
    """Builds the demo page: upload, model and settings on the left, before/after on the right.

    Args:
        max_pixels: largest upload accepted, in pixels (None: no limit).
        output_dir: folder for the result PNGs offered for download; default a new temporary
            folder.

    Returns:
        The `gradio.Blocks` app; call `.launch()` on it.

    Example:
    >>> build_demo().launch(server_name="127.0.0.1", server_port=7860)  # doctest: +SKIP
    """
    import gradio as gr

    from ..inference.runtimes import PRECISIONS
    from ..models.presets import DEFAULT_MODEL, list_pretrained

    results = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="srgan-demo-"))
    results.mkdir(parents=True, exist_ok=True)

    def run(image, model_name, model_file, tile, precision, progress=gr.Progress(track_tqdm=True)):
        from .upscaling import parse_tile_size

        try:
            progress(0.0, desc="Loading the model")
            generator = load_model(model_name, model_file)
            progress(0.1, desc="Super-resolving")
            result = upscale_upload(
                image, generator, results, tile_size=parse_tile_size(tile),
                precision=precision, max_pixels=max_pixels, progress=True,
            )
        except DemoError as err:
            raise gr.Error(str(err), print_exception=False) from err
        return (
            (result.bicubic, result.sr_8bit),
            f"**{result.summary}** (left: bicubic, right: super-resolved)",
            gr.DownloadButton(value=str(result.png_path), visible=True),
        )

    with gr.Blocks(title="4x super-resolution (SRGAN / SRResNet)", analytics_enabled=False) as demo:
        gr.Markdown(
            "# 4x super-resolution\nUpload or paste a photo, pick a model, and compare the "
            "result with bicubic interpolation using the slider."
        )
        with gr.Row():
            with gr.Column():
                image = gr.Image(
                    label="Low-resolution image", type="filepath", image_mode=None,
                    sources=["upload", "clipboard"], elem_id="input-image",
                )
                model_name = gr.Dropdown(
                    list_pretrained(), value=DEFAULT_MODEL, label="Model", elem_id="model"
                )
                model_file = gr.File(
                    label="... or upload a .keras generator (replaces the model above)",
                    file_types=[".keras"], type="filepath", height=110, elem_id="model-file",
                )
                with gr.Row():
                    tile = gr.Dropdown(
                        list(TILE_CHOICES), value=AUTO_TILE, label="Tile size (LR pixels)"
                    )
                    precision = gr.Radio(list(PRECISIONS), value="float32", label="Precision")
                button = gr.Button("Super-resolve", variant="primary", elem_id="run")
            with gr.Column():
                slider = gr.ImageSlider(
                    label="Bicubic | super-resolved", type="numpy", format="png",
                    elem_id="result",
                )
                info = gr.Markdown(elem_id="info")
                download = gr.DownloadButton("Download PNG", visible=False, elem_id="download")
        button.click(
            run, [image, model_name, model_file, tile, precision], [slider, info, download]
        )
    return demo
