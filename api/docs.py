"""`/docs`: Swagger UI served from the installed `swagger-ui-py` package, never from a CDN, under a strict CSP.

The page shares its origin with the session cookie, so no third-party script may run on it: the assets come from the
package's own files (a fixed table, so no request path reaches the disk), the start-up script is a file rather than
inline, and the Content-Security-Policy allows only this origin. `DIALER_API_DOCS=false` turns the page off
(`/openapi.json` stays, for clients and tests).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import FileResponse, HTMLResponse

ASSET_DIR = Path(swagger_ui.__file__).parent / "static"
ASSETS = {
    name: ASSET_DIR / name
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
    if (ASSET_DIR / name).is_file()
}
_MEDIA = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Swagger UI sets inline style *attributes* (hence 'unsafe-inline' for styles only); scripts are files of this origin.
INIT_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
});
"""
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dialer API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/assets/init.js"></script>
</body></html>
"""

router = APIRouter(include_in_schema=False)


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/docs")
async def docs_page() -> Response:
    return _secure(HTMLResponse(PAGE))


@router.get("/docs/assets/init.js")
async def docs_init() -> Response:
    return _secure(Response(INIT_JS, media_type="text/javascript"))


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> Response:
    path = ASSETS.get(name)
    if path is None:
        raise HTTPException(status_code=404, detail=f"no docs asset {name}")
    return _secure(FileResponse(path, media_type=_MEDIA.get(path.suffix, "application/octet-stream")))
