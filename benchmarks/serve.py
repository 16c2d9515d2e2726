"""Child process: the HTTP service for the benchmark, as ``cstassist serve`` runs it.

Settings come from the environment (CSTASSIST_*), as for ``cstassist serve``. The one difference: the
embedder is built here with ``cache_dir=<data_dir>/models`` (so the onnx-int8 export is reused rather
than redone at every start) and handed to ``create_app``; the model and index still load before the
first request, so the time to ``/readyz`` 200 is the service's cold start.
"""

from __future__ import annotations

import argparse

from .stats import offline


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    offline()

    import uvicorn

    from cstassist.api.app import create_app
    from cstassist.api.server import protocol_for
    from cstassist.assistant import Assistant
    from cstassist.embedding import create_embedder
    from cstassist.settings import Settings

    settings = Settings()
    assistant = Assistant.open(settings, create_embedder(settings.embedding, cache_dir=settings.data_dir / "models"))
    uvicorn.run(
        create_app(settings, assistant),
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=False,
        access_log=False,
        http=protocol_for(settings.limits),  # as `cstassist serve` runs it
    )


if __name__ == "__main__":
    main()
