"""Web demo command: `python -m super_resolution_gans.demo`."""

from __future__ import annotations

import importlib.util

from super_resolution_gans.demo.__main__ import main


def test_command_without_gradio_says_how_to_install(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a)
    )
    assert main([]) == 1
    err = capsys.readouterr().err.strip()
    assert err == 'error: Gradio is not installed; run: pip install "super_resolution_gans[demo]"'
