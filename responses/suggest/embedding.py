"""Sentence vectors for the clustering suggestions, from static word vectors shipped inside a
package: WordLlama's "l2_supercat" model (256 dimensions, MIT licence), whose weights
(wordllama/weights/, 16 MB) and tokenizer (wordllama/tokenizers/) come in the wordllama wheel
pinned in pyproject.toml. A text's vector is the mean of its tokens' vectors, made unit length.

Nothing is ever downloaded: the model is read from the package's own folder, with WordLlama's
downloads disabled (its default lookup searches a "tokenizer/" folder the wheel does not have,
then tries the Hugging Face hub; giving the package folder as the cache finds "tokenizers/").
It is loaded once per process, on first use (about 0.3 s), under a lock. If it cannot be loaded
(a broken install), ``available()`` says so, a warning is logged once, and the engine falls
back to its TF-IDF features.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CONFIG = "l2_supercat"
DIMENSIONS = 256

_lock = threading.Lock()
_state: dict[str, object] = {}  # "model" once loaded, or "error" once it failed


def package_folder() -> Path:
    """The installed wordllama package's folder, which holds weights/ and tokenizers/."""
    # Imported on first use: a process that makes no suggestion never pays for it.
    import wordllama

    return Path(wordllama.__file__).parent


def _load():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        from wordllama import WordLlama
    finally:
        # wordllama.inference calls logging.basicConfig() on import: where the root logger had
        # no handler yet (the benchmark, a script), keep it as it was.
        root.handlers[:], root.level = handlers, level
    return WordLlama.load(
        config=CONFIG, dim=DIMENSIONS, cache_dir=package_folder(), disable_download=True
    )


def _model():
    if "model" not in _state and "error" not in _state:
        with _lock:
            if "model" not in _state and "error" not in _state:
                try:
                    _state["model"] = _load()
                except Exception as error:  # whatever broke, the answer is: use TF-IDF
                    _state["error"] = error
                    logger.warning(
                        "The word vectors for clustering suggestions could not be loaded (%s: "
                        "%s); suggestions use TF-IDF features only.",
                        type(error).__name__,
                        error,
                    )
    return _state.get("model")


def available() -> bool:
    """Whether the model is loaded (loading it now if it was not tried yet)."""
    return _model() is not None


def embed(texts: Sequence[str]) -> np.ndarray:
    """The texts' unit vectors, one row each (float64); a text with no token (empty, only
    spaces) gets a row of zeros. Raises RuntimeError when the model is not available.

    Each text's vector depends on that text only (the padding of a batch is masked out), so
    the same text gives the same vector whatever it is embedded with.
    """
    model = _model()
    if model is None:
        raise RuntimeError("the word vectors are not available")
    if not texts:
        return np.zeros((0, DIMENSIONS))
    vectors = model.embed(list(texts), norm=False).astype(np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    usable = np.isfinite(norms) & (norms > 1e-12)
    return np.where(usable, vectors / np.where(usable, norms, 1.0), 0.0)
