"""Old location of the fast prediction path; it lives in `super_resolution_gans.inference`."""

from .inference import (  # noqa: F401
    PRECISIONS,
    RUNTIME_ENV_VAR,
    RUNTIMES,
    FastPath,
    Predictor,
    Stage,
    fast_path,
    inference_generator,
    predictor_for,
    resolve_runtime,
    stages_for,
)
