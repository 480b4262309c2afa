"""Real detection at a fraction of the default's cost, for tests whose subject is not detection.

The default preset runs two face models, turned copies, an enlarged frame and the plate text
detector: on a small clip about seven times CenterFace alone. Storage, custody, speech, batch and
review tests need a real model in a real worker, not all of them; the detection tests and the
sample's own run keep the default.
"""

from __future__ import annotations

from redact.options import DetectOptions

ONE_MODEL = DetectOptions(kinds=("face",), face_models=("centerface",), turned_faces=False, small_faces=False)
ONE_MODEL_FLAGS = ("--kinds", "face", "--face-models", "centerface", "--upright-faces", "--no-small-faces")
