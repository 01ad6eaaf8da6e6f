"""NST Studio's web app (Gradio, Hugging Face Spaces) over the nst library: `build_demo(engine)` makes it,
`launch(demo)` serves it, `main()` does both with this machine's defaults (what app.py runs).

Layers, lowest first: studio.limits/turns/stops/clients/text (policy and words), studio.gpu (ZeroGPU entry
points), studio.engine and studio.video_service (the operations, shared per process), studio.widgets and
studio.tabs (Gradio), studio.app (the page). The nst library never imports this package.
"""

from __future__ import annotations

from studio.app import build_demo, launch, main

__all__ = ["build_demo", "launch", "main"]
