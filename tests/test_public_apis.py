"""reclab uses public Keras and TensorFlow only: private modules change without notice."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRIVATE = ("keras.src", "keras._tf_keras", "tensorflow.python", "tensorflow.core")


def private_imports(source: str) -> list[str]:
    """The private modules that ``source`` imports, e.g. ``["keras.src.backend"]``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names for p in PRIVATE if n == p or n.startswith(p + ".")]
    return found


def test_the_check_sees_both_import_forms() -> None:
    assert private_imports("from keras.src.backend.common import masking") == [
        "keras.src.backend.common"
    ]
    assert private_imports("import tensorflow.python.framework.config as c") == [
        "tensorflow.python.framework.config"
    ]
    assert private_imports("import keras\nfrom keras import ops") == []


def test_no_module_of_reclab_imports_a_private_keras_or_tensorflow_module() -> None:
    offenders = {
        str(path.relative_to(ROOT)): names
        for path in sorted((ROOT / "reclab").rglob("*.py"))
        if (names := private_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
