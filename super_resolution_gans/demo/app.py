"""The Gradio page of the web demo; the work itself is in `upscaling`."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ..validation import check_int
from .upscaling import (
    AUTO_TILE,
    DEFAULT_MAX_PIXELS,
    MODEL_SUFFIXES,
    DemoError,
    load_model,
    model_choices,
    parse_tile_size,
    upscale_upload,
)

TILE_CHOICES = (
    ("auto (from the image size)", AUTO_TILE),
    ("whole image, one pass", "0"),
    ("64", "64"),
    ("128", "128"),
    ("256", "256"),
    ("512", "512"),
)
"""Tile-size choices offered on the page: (label, value for `parse_tile_size`)."""

DEFAULT_CONCURRENCY = 2
"""Requests super-resolved at the same time; each holds about 0.6 GB per megapixel of upload
(up to about 2.5 GB at the default 4-megapixel limit)."""

DEFAULT_QUEUE_SIZE = 16
"""Requests waiting their turn; more are refused with Gradio's "queue is full" message. A
waiting request holds only its uploaded file, on disk."""

RESULT_MAX_AGE_S = 900
"""Result PNGs in the demo's own temporary folder are deleted after this many seconds (Gradio
has copied them into its cache by then)."""


def build_demo(
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    output_dir: str | os.PathLike | None = None,
    concurrency_limit: int = DEFAULT_CONCURRENCY,
    max_queue: int = DEFAULT_QUEUE_SIZE,
) -> Any:
    """Builds the demo page: upload, model and settings on the left, before/after on the right.

    Every request goes through Gradio's queue (direct REST calls that would skip it are
    refused): at most `concurrency_limit` run at once and `max_queue` wait, so the server's
    memory stays bounded however many people use the page.

    Args:
        max_pixels: largest upload accepted, in pixels (None: no limit).
        output_dir: folder for the result PNGs offered for download; default a new temporary
            folder, whose PNGs are deleted after `RESULT_MAX_AGE_S`.
        concurrency_limit: requests super-resolved at the same time.
        max_queue: requests that may wait for their turn.

    Returns:
        The `gradio.Blocks` app; call `.launch()` on it.

    Example:
    >>> build_demo().launch(server_name="127.0.0.1", server_port=7860)  # doctest: +SKIP
    """
    import gradio as gr

    from ..inference.runtimes import PRECISIONS
    from ..io.write import write_image
    from ..models.presets import DEFAULT_MODEL

    check_int("concurrency_limit", concurrency_limit, minimum=1)
    check_int("max_queue", max_queue, minimum=1)
    results = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="srgan-demo-"))
    results.mkdir(parents=True, exist_ok=True)

    def run(image, model_name, model_file, tile, precision,
            progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio's way to report progress)
        # Called with Gradio's raw payloads (preprocess=False): the uploads are files we decode
        # ourselves, so that bad ones get our messages, not Gradio's decoder errors.
        try:
            image_path, image_name = uploaded_file(image)
            if image_path is None:
                raise DemoError("Upload an image first.")
            model_path, model_label = uploaded_file(model_file)
            tile_size = parse_tile_size(tile)
            progress(0.0, desc="Loading the model")
            generator = load_model(model_name, model_path, uploaded_name=model_label)
            progress(0.1, desc="Super-resolving")
            result = upscale_upload(
                image_path, generator, results, tile_size=tile_size, precision=precision,
                max_pixels=max_pixels, progress=True, name=image_name,
                model_name=model_label or model_name,
            )
        except DemoError as err:
            raise gr.Error(str(err), print_exception=False) from err
        if not output_dir:
            _delete_old_results(results)
        # Files of our own, not arrays: Gradio saves an array under its content's hash and
        # rewrites that file in place, so a user getting the same result (the same example
        # image) truncated the file another user was downloading. Files it copies once.
        bicubic = write_image(result.bicubic, result.png_path.with_name(
            f"{result.png_path.stem}_bicubic.png"))
        return (
            (str(bicubic), str(result.png_path)),
            f"**{result.summary}** (left: bicubic, right: super-resolved)",
            gr.DownloadButton(value=str(result.png_path), visible=True),
        )

    with gr.Blocks(title="Super-resolution (SRGAN / SRResNet / ESRGAN)", analytics_enabled=False,
                   delete_cache=(600, 3600)) as demo:
        gr.Markdown(
            "# Super-resolution\nUpload or paste a photo, pick a model, and compare the "
            "result with bicubic interpolation using the slider."
        )
        with gr.Row():
            with gr.Column():
                image = gr.Image(
                    label="Low-resolution image", type="filepath", image_mode=None,
                    sources=["upload", "clipboard"], elem_id="input-image",
                )
                model_name = gr.Dropdown(
                    model_choices(), value=DEFAULT_MODEL, label="Model", elem_id="model"
                )
                model_file = gr.File(
                    label="... or upload a model file: .keras, or ESRGAN / Real-ESRGAN .pth or "
                          ".safetensors (replaces the model above)",
                    file_types=list(MODEL_SUFFIXES), type="filepath", height=110,
                    elem_id="model-file",
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
            run, [image, model_name, model_file, tile, precision], [slider, info, download],
            preprocess=False,
        )
    demo.queue(max_size=max_queue, default_concurrency_limit=concurrency_limit, api_open=False)
    return demo


def uploaded_file(payload: Any) -> tuple[str | None, str | None]:
    """(server path, the file's own name) of a Gradio file payload (Gradio has checked that
    the path is an upload); (None, None) for none.

    Example:
    >>> uploaded_file({"path": "/tmp/gradio/0f3a/photo.png", "orig_name": "My photo.png"})
    ('/tmp/gradio/0f3a/photo.png', 'My photo.png')
    >>> uploaded_file(None)
    (None, None)
    """
    path = payload.get("path") if isinstance(payload, dict) else None
    if not path:
        return None, None
    return str(path), str(payload.get("orig_name") or Path(path).name)


def _delete_old_results(folder: Path) -> None:
    cutoff = time.time() - RESULT_MAX_AGE_S
    for path in folder.glob("super_resolved_*.png"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # deleted by a concurrent request
