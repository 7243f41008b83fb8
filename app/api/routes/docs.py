"""The interactive API docs at /docs, with Swagger UI served locally (works offline)."""

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    # relative URLs: right at / and under a proxy's path prefix alike
    return get_swagger_ui_html(
        openapi_url="openapi.json",
        title="optiviz API v1",
        swagger_js_url="static/swagger/swagger-ui-bundle.js",
        swagger_css_url="static/swagger/swagger-ui.css",
        swagger_favicon_url="static/swagger/favicon-32x32.png",
    )
